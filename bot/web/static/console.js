// The console's only script of its own (no inline scripts: the Content-Security-Policy
// forbids them). htmx requests carry the session's CSRF token, as forms do in a field.
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) {
    event.detail.headers["X-CSRF-Token"] = meta.getAttribute("content");
  }
});
