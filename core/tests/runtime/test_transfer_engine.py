"""The transfer engine where tasks run: local files and folders, HTTP from a local server, the errors."""

from __future__ import annotations

import pytest

from covalent.runtime.transfer import NodeTransfers, TransferError, TransferSpec, TransferStatus, redact
from covalent.testing.http_files import HTTPFileServer


def _run(*specs: TransferSpec) -> NodeTransfers:
    transfers = NodeTransfers(specs, lambda key: None)
    transfers.before()
    transfers.after()
    return transfers


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "src" / "sub").mkdir(parents=True)
    (tmp_path / "src" / "a.txt").write_text("alpha")
    (tmp_path / "src" / "sub" / "b.txt").write_text("beta!")
    return tmp_path


def test_a_file_and_a_folder_copy_locally_with_a_record_each(tree):
    done = _run(
        TransferSpec(str(tree / "src" / "a.txt"), str(tree / "out" / "deep" / "a.txt")),
        TransferSpec(str(tree / "src") + "/", str(tree / "copy") + "/", is_dir=True, order="after"),
        TransferSpec(str(tree / "src"), str(tree / "into") + "/", is_dir=True, include_folder=True),
    )
    assert (tree / "out" / "deep" / "a.txt").read_text() == "alpha"
    assert (tree / "copy" / "sub" / "b.txt").read_text() == "beta!"
    assert (tree / "into" / "src" / "a.txt").read_text() == "alpha"
    first, folder, whole = done.records
    assert (first.status, first.files, first.bytes, first.attempts) == ("COMPLETED", 1, 5, 1)
    assert (folder.status, folder.files, folder.bytes, folder.order) == ("COMPLETED", 2, 10, "after")
    assert whole.files == 2
    assert first.start_time is not None and first.end_time is not None and first.end_time >= first.start_time


def test_temporary_files_are_created_and_files_arg_pairs_are_given(tree):
    temp = str(tree / "tmp" / "scratch")
    spec = TransferSpec(temp, str(tree / "up.txt"), order="after", touch=(temp,), files_arg=(temp, "/x"))
    done = NodeTransfers([spec], None)
    done.before()
    assert (tree / "tmp" / "scratch").exists()
    assert done.files_arg() == [(temp, "/x")]


def test_http_download_and_put_upload_through_a_local_server(tree):
    served = tree / "served"
    served.mkdir()
    (served / "data.csv").write_text("name,value\nx,1\n")
    with HTTPFileServer(served) as http:
        done = _run(
            TransferSpec(f"{http.url}/data.csv", str(tree / "got.csv")),
            TransferSpec(str(tree / "src" / "a.txt"), f"{http.url}/uploads/a.txt", order="after"),
        )
    assert (tree / "got.csv").read_text() == "name,value\nx,1\n"
    assert (served / "uploads" / "a.txt").read_text() == "alpha"
    assert [r.strategy for r in done.records] == ["fsspec (http)", "fsspec (http)"]


def test_a_server_error_is_retried_and_the_attempts_are_recorded(tree):
    served = tree / "served"
    served.mkdir()
    (served / "data.csv").write_text("ok")
    with HTTPFileServer(served, fail_first=1) as http:
        done = _run(TransferSpec(f"{http.url}/data.csv", str(tree / "got.csv")))
    assert (tree / "got.csv").read_text() == "ok"
    assert done.records[0].attempts >= 2


def test_a_missing_file_fails_at_once_naming_the_url_and_skips_the_rest(tree):
    transfers = NodeTransfers(
        [
            TransferSpec(str(tree / "nothing.txt"), str(tree / "x.txt")),
            TransferSpec(str(tree / "src" / "a.txt"), str(tree / "y.txt"), order="after"),
        ],
        None,
    )
    with pytest.raises(TransferError, match=r"nothing\.txt -> .*x\.txt .*FileNotFoundError"):
        transfers.before()
    failed, skipped = transfers.records
    assert (failed.status, failed.attempts) == (TransferStatus.FAILED, 1)
    assert skipped.status == TransferStatus.SKIPPED and not (tree / "y.txt").exists()


def test_an_unknown_scheme_and_a_protocol_without_its_package_say_what_is_wrong(tree):
    with pytest.raises(TransferError, match="unknown URL scheme 'nope'"):
        _run(TransferSpec("nope://bucket/key", str(tree / "x")))
    # fsspec knows dropbox://, but its package is not installed here (nor an extra of ours).
    with pytest.raises(TransferError, match=r"MissingExtraError: dropbox:// transfers need a package.*dropboxdrivefs"):
        _run(TransferSpec("dropbox://folder/file", str(tree / "x")))


def test_credentials_never_reach_a_record_or_an_error(tree):
    url = "https://user:hunter2@example.invalid/file.bin?X-Amz-Signature=abcdef&X-Amz-Expires=60"
    assert redact(url) == "https://user:***@example.invalid/file.bin?X-Amz-Signature=***&X-Amz-Expires=***"
    transfers = NodeTransfers([TransferSpec("nope://user:hunter2@host/x?sig=abc", str(tree / "x"))], None)
    with pytest.raises(TransferError) as caught:
        transfers.before()
    text = str(caught.value) + repr(transfers.to_json())
    assert "hunter2" not in text and "sig=abc" not in text


def test_delegated_transfers_are_recorded_not_run(tree):
    transfers = NodeTransfers([TransferSpec(str(tree / "src" / "a.txt"), str(tree / "d.txt"))], None, "awsbatch")
    transfers.before()
    assert not (tree / "d.txt").exists()
    assert transfers.records[0].status == TransferStatus.DELEGATED
