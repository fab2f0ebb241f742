// Admin form of a periodic task (django-celery-beat): show the chosen crontab in words under
// the crontab field. Moved out of the package's inline script so the page works under the CSP.
(function () {
  "use strict";
  var $ = window.django && window.django.jQuery;
  var source = document.getElementById("readable-crontabs");
  var script = document.getElementById("periodic-task-overrides");
  if (!$ || !source || !script) {
    return;
  }
  var readableCrontabs = JSON.parse(source.textContent);
  var originalHelp = script.dataset.crontabHelp || "";

  function updateCrontabHelp(additional) {
    var help = $(".field-crontab .help");
    help.text(originalHelp);
    help.append("<br>");
    help.append(document.createTextNode("Translation: " + (additional || "")));
  }

  $(".field-crontab_translation").hide();
  $(".field-crontab").change(function () {
    updateCrontabHelp(readableCrontabs[$("#id_crontab").val()]);
  });
})();
