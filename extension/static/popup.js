// Shows the relay's state; the diagnosis itself is in the collector.
chrome.runtime.sendMessage({ t: 'status' }).then((s) => {
  const dl = document.getElementById('status');
  dl.textContent = '';
  const row = (k, v) => {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = String(v);
    dl.append(dt, dd);
  };
  if (!s) return row('Collector', 'starting…');
  row('Collector', s.connected ? 'connected' : 'not connected (events are kept)');
  row('Waiting to be stored', s.queued);
  row('Stored', s.acked);
  row('Dropped (queue full)', s.dropped);
});
