// The rule editor: show only the fields of the chosen kind. Without this script every
// field is shown, and the server still reads only the chosen kind's fields.
(function () {
  const kind = document.getElementById("id_kind");
  if (!kind) return;
  const groups = document.querySelectorAll(".kind-fields[data-kinds]");
  function update() {
    for (const group of groups) {
      const kinds = group.dataset.kinds.split(" ");
      group.hidden = !kinds.includes(kind.value);
    }
  }
  kind.addEventListener("change", update);
  update();
})();
