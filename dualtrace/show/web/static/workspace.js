// dualtrace workspace: small progressive enhancements (pages work without them).
"use strict";
document.addEventListener("keydown", function (ev) {
  // "/" focuses the quick search unless the user is typing somewhere already.
  var t = ev.target;
  var typing = t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  if (ev.key === "/" && !typing && !ev.ctrlKey && !ev.metaKey && !ev.altKey) {
    var q = document.getElementById("quick-q");
    if (q) { ev.preventDefault(); q.focus(); q.select(); }
  }
});
document.addEventListener("DOMContentLoaded", function () {
  // Upload progress for batch screening: send with XHR so the bar moves, then follow
  // the server's redirect to the job page (which shows screening progress).
  var form = document.getElementById("batch-form");
  var bar = document.getElementById("upload-progress");
  if (!form || !bar || !window.FormData) { return; }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    // Multipart bodies are not searched for the CSRF field; send it as the header.
    var token = form.querySelector("input[name=csrf_token]");
    if (token && token.value) { xhr.setRequestHeader("X-CSRF-Token", token.value); }
    bar.hidden = false;
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) { bar.value = Math.round(100 * e.loaded / e.total); }
    });
    xhr.addEventListener("load", function () {
      if (xhr.responseURL && xhr.responseURL !== form.action) { window.location.href = xhr.responseURL; }
      else { document.open(); document.write(xhr.responseText); document.close(); }
    });
    xhr.addEventListener("error", function () { form.submit(); });
    xhr.send(new FormData(form));
  });
});
