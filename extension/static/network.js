// The "Full network capture (webRequest)" control on the options page.
// webRequest is an optional permission on Chromium: holding it makes the
// browser proxy every request of every page, so it is the user's choice.
// Chromium sets that proxy up when an extension loads, and the worker
// registers its webRequest listeners only at start: the extension reloads
// after each change.
const WR = { permissions: ['webRequest'] };
const box = document.getElementById('full_network');
const note = document.getElementById('full_network_status');

function show(on) {
  box.checked = on;
  note.textContent = on
    ? 'On: every request is seen through webRequest (Set-Cookie, cross-origin headers, navigations).'
    : "Off: the page's own fetch/XMLHttpRequest calls are seen; pages load at full speed.";
}

// Firefox has no such cost and holds webRequest from the install on.
const optional = (chrome.runtime.getManifest().optional_permissions || []).includes('webRequest');
chrome.permissions.contains(WR).then(
  (on) => {
    show(on);
    if (!optional) {
      box.disabled = true;
      note.textContent = 'Always on in this browser: webRequest does not slow its page loads.';
    }
  },
  () => show(false),
);

box.addEventListener('change', () => {
  // From the click itself: a permission request needs the user's gesture.
  const change = box.checked ? chrome.permissions.request(WR) : chrome.permissions.remove(WR);
  change
    .then((done) => {
      if (!done) return chrome.permissions.contains(WR).then(show);
      note.textContent = 'Restarting the extension…';
      chrome.runtime.reload();
      return undefined;
    })
    .catch((e) => {
      note.textContent = `Not changed: ${e && e.message ? e.message : e}`;
      return chrome.permissions.contains(WR).then(show);
    });
});
