"""The quickstart: a small workflow dispatched to the local server."""

import covalent as ct


@ct.electron
def split(text):
    return text.split()


@ct.electron
def measure(word):
    return len(word)


@ct.electron
def summarise(lengths):
    return {"words": len(lengths), "letters": sum(lengths), "longest": max(lengths)}


@ct.lattice
def word_stats(text):
    words = split(text)
    return summarise([measure(words[i]) for i in range(5)])


if __name__ == "__main__":
    dispatch_id = ct.dispatch(word_stats)("electrons make lattices make workflows")
    result = ct.get_result(dispatch_id, wait=True)
    print(result)
    print(f"\nresult: {result.result}")
    from covalent import config

    print(f"dashboard: {config.dispatcher_address()}/dispatches/{dispatch_id}")
