// The server's event stream (/api/v1/events, server-sent events) with a resync on every
// (re)connect: events that arrive while the resync's read is in flight are replayed after it,
// so nothing is lost and nothing is applied out of order.

export class LiveStream {
  /**
   * @param url        the stream's URL
   * @param resync     async () => void: read the current state (called on open)
   * @param handle     (event) => void: one event
   * @param indicator  element shown while connected (class "hidden" otherwise)
   */
  constructor(url, resync, handle, indicator) {
    this.url = url;
    this.resyncFn = resync;
    this.handle = handle;
    this.indicator = indicator;
    this.queued = null;
    this.again = false;
    this.source = null;
  }

  open() {
    const source = new EventSource(this.url);
    this.source = source;
    const onEvent = (m) => this.receive(JSON.parse(m.data));
    source.onmessage = onEvent; // a dispatch's opening snapshot
    for (const kind of ["nodes", "dispatch", "deleted", "output"]) source.addEventListener(kind, onEvent);
    source.onopen = () => {
      if (this.indicator) this.indicator.classList.remove("hidden");
      this.resync();
    };
    source.onerror = () => { if (this.indicator) this.indicator.classList.add("hidden"); };
    return this;
  }

  close() {
    if (this.source) this.source.close();
    this.source = null;
    if (this.indicator) this.indicator.classList.add("hidden");
  }

  receive(event) {
    if (this.queued !== null) this.queued.push(event);
    else this.handle(event);
  }

  async resync() {
    if (this.queued !== null) { this.again = true; return; }
    this.queued = [];
    try {
      await this.resyncFn();
    } finally {
      const replay = this.queued;
      this.queued = null;
      for (const event of replay) this.handle(event);
      if (this.again) { this.again = false; this.resync(); }
    }
  }
}
