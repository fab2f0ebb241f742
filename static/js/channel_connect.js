// Show only the credential fields the chosen platform needs.
(function () {
  const fields = {
    mastodon: ["instance_url", "access_token"],
    bluesky: ["instance_url", "identifier", "app_password"],
    webhook: ["instance_url", "secret"],
    outbox: ["handle"],
  };
  const all = ["instance_url", "access_token", "identifier", "app_password", "secret", "handle"];
  const select = document.getElementById("id_platform");
  if (!select) return;
  function update() {
    const wanted = fields[select.value] || all;
    for (const name of all) {
      const wrapper = document.getElementById("div_id_" + name);
      if (wrapper) wrapper.hidden = !wanted.includes(name);
    }
  }
  select.addEventListener("change", update);
  update();
})();
