// Live provisioning progress on the operator's tenant page: poll the steps as JSON and
// update them in place until the tenant is live or a step has failed.
(function () {
  var list = document.getElementById("steps");
  if (!list) return;
  var statusBox = document.getElementById("tenant-status");
  var result = document.getElementById("result");
  var labels = { pending: "Pending", running: "Running", done: "Done", failed: "Failed",
                 active: "Active", provisioning: "Provisioning", suspended: "Suspended" };
  function chip(status) {
    var span = document.createElement("span");
    span.className = "chip chip-" + status;
    span.textContent = labels[status] || status;
    return span;
  }
  function tick() {
    fetch(list.dataset.progress, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        data.steps.forEach(function (step) {
          var item = list.querySelector('[data-step="' + step.name + '"]');
          if (!item) return;
          item.querySelector(".step-status").replaceChildren(chip(step.status));
          item.querySelector(".step-detail").textContent = step.detail;
        });
        statusBox.replaceChildren(chip(data.status));
        if (data.status === "provisioning") { setTimeout(tick, 700); return; }
        result.textContent = data.status === "active" ? "The window is live."
          : data.status === "failed" ? "A step failed; fix its cause and retry." : "";
      })
      .catch(function () { setTimeout(tick, 2000); });
  }
  if (statusBox.textContent.indexOf("Provisioning") !== -1) tick();
})();
