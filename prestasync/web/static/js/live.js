// One EventSource per page; adaptive polling when push is unavailable.
//
// Push: `GET /api/events` sends `job` events (the job JSON) and `snapshot` events (every
// active and recently finished job) after a (re)connect the server cannot replay. The
// browser resumes with Last-Event-ID by itself; the first connection passes the id the
// page was rendered at, so nothing between render and connect is missed.
//
// Fallback (no EventSource, or it keeps failing): poll the active jobs with the seed's
// interval (2 s with >= 5 active jobs, 3 s with some, 10 s idle; 3x slower in a hidden
// tab), fetch each job that left the active list once, and try push again every minute.

import { api } from "./api.js";

const FAILURES_BEFORE_POLLING = 3;
const RETRY_PUSH_MS = 60_000;

export function pollInterval(activeCount, hidden) {
  const base = activeCount >= 5 ? 2000 : activeCount > 0 ? 3000 : 10_000;
  return hidden ? base * 3 : base;
}

export class Live {
  constructor({ lastEventId, activeIds, onJob, onSnapshot, onMode }) {
    this.lastEventId = lastEventId;
    this.watched = new Set(activeIds);
    this.onJob = onJob;
    this.onSnapshot = onSnapshot;
    this.onMode = onMode;
    this.source = null;
    this.pollTimer = null;
    this.retryTimer = null;
  }

  start() {
    if (typeof window.EventSource !== "function") {
      this.poll();
      return;
    }
    this.connect();
  }

  connect() {
    let failures = 0;
    const query = this.lastEventId ? "?last_event_id=" + encodeURIComponent(this.lastEventId) : "";
    const source = new EventSource("/api/events" + query);
    this.source = source;
    this.onMode("connecting");
    source.onopen = () => {
      failures = 0;
      this.stopPolling();
      this.onMode("live");
    };
    source.addEventListener("job", (event) => {
      this.lastEventId = event.lastEventId || this.lastEventId;
      this.onJob(JSON.parse(event.data), { live: true });
    });
    source.addEventListener("snapshot", (event) => {
      this.lastEventId = event.lastEventId || this.lastEventId;
      this.onSnapshot(JSON.parse(event.data).jobs);
    });
    source.onerror = () => {
      failures += 1;
      this.onMode("connecting");
      if (source.readyState === EventSource.CLOSED || failures >= FAILURES_BEFORE_POLLING) {
        source.close();
        this.source = null;
        this.poll();
        this.retryTimer = setTimeout(() => this.connect(), RETRY_PUSH_MS);
      }
    };
  }

  stopPolling() {
    clearTimeout(this.pollTimer);
    this.pollTimer = null;
  }

  async poll() {
    this.stopPolling();
    this.onMode("polling");
    let active = [];
    try {
      const data = await api("GET", "/api/jobs?status=active&limit=100");
      active = data.items;
      const now = new Set(active.map((job) => job.id));
      for (const job of active) this.onJob(job, { live: true });
      for (const id of this.watched) {
        if (!now.has(id)) this.onJob(await api("GET", `/api/jobs/${id}`), { live: true });
      }
      this.watched = now;
    } catch (error) {
      if (error.status === 401) return;
      this.onMode("offline");
    }
    if (this.source && this.source.readyState === EventSource.OPEN) return;
    this.pollTimer = setTimeout(() => this.poll(), pollInterval(active.length, document.hidden));
  }
}
