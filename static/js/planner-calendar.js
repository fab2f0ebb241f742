/* The content calendar: FullCalendar 7 (vendored) fed by the calendar API.
 *
 * Events come from GET /api/brands/<slug>/calendar/?start=&end= plus the filter bar's
 * values; dragging a post PATCHes its scheduled_at. The server re-checks everything and
 * answers 4xx with the reason (shown in plain words), in which case the event goes back
 * where it was. A move to within 15 minutes asks for the handle typed, as the composer does.
 */
(function () {
  "use strict";

  var el = document.getElementById("calendar");
  if (!el || !window.FullCalendar) {
    return;
  }
  var filters = document.getElementById("filters");
  var message = document.getElementById("calendar-message");
  var VIEWS = { month: "dayGridMonth", week: "timeGridWeek", list: "listMonth" };
  // Phones get the list (month cells are too narrow to read); ?view= always wins.
  var SMALL = window.matchMedia("(max-width: 767.98px)");
  var asked = new URLSearchParams(window.location.search).get("view");
  var initialView = VIEWS[asked] || (SMALL.matches ? "listMonth" : VIEWS[el.dataset.initialView] || "dayGridMonth");

  function filterParams() {
    var params = {};
    if (!filters) {
      return params;
    }
    new FormData(filters).forEach(function (value, key) {
      if (value !== "" && key !== "view") {
        params[key] = value;
      }
    });
    return params;
  }

  function say(text) {
    if (!message) {
      return;
    }
    message.textContent = text;
    message.classList.toggle("d-none", !text);
  }

  // The reason in plain words: the server's messages, never its field names.
  function reasonOf(body, status) {
    if (!body) {
      return "The server refused the change (" + status + ").";
    }
    if (body.detail && body.detail !== "Invalid input.") {
      return body.detail;
    }
    var errors = body.errors || body;
    var parts = [];
    Object.keys(errors).forEach(function (key) {
      var value = errors[key];
      if (key === "code" || key === "detail") {
        return;
      }
      (Array.isArray(value) ? value : [value]).forEach(function (item) {
        if (typeof item === "string" && item) {
          parts.push(item);
        }
      });
    });
    return parts.join(" ") || "The server refused the change (" + status + ").";
  }

  function eventContent(arg) {
    var props = arg.event.extendedProps || {};
    var wrap = document.createElement("div");
    wrap.className = "d-flex align-items-center gap-1 overflow-hidden";
    if (arg.timeText) {
      var time = document.createElement("span");
      time.className = "fw-semibold text-nowrap flex-shrink-0";
      time.textContent = arg.timeText;
      wrap.appendChild(time);
    }
    var badge = document.createElement("span");
    var label = props.status_label || props.status || "";
    badge.setAttribute("data-status", props.status || "");
    if (SMALL.matches && arg.view.type === "dayGridMonth") {
      // A narrow month cell: the status as a coloured dot, so the title stays readable.
      badge.className = "badge cal-status-dot text-bg-" + (props.badge || "secondary");
      badge.title = label;
      var hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = label;
      badge.appendChild(hidden);
    } else {
      badge.className = "badge flex-shrink-0 text-bg-" + (props.badge || "secondary");
      badge.textContent = label;
    }
    wrap.appendChild(badge);
    var title = document.createElement("span");
    title.className = "text-truncate";
    title.textContent = arg.event.title;
    wrap.appendChild(title);
    return { domNodes: [wrap] };
  }

  var calendar = new FullCalendar.Calendar(el, {
    initialView: initialView,
    initialDate: el.dataset.initialDate || undefined,
    timeZone: el.dataset.timezone || "UTC",
    firstDay: 1,
    height: "auto",
    headerToolbar: {
      start: "prev,next today",
      center: "title",
      end: "dayGridMonth,timeGridWeek,listMonth",
    },
    eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    slotHeaderFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    allDaySlot: false,
    // A post is an instant shown as an hour: one at 23:30 belongs to its own day only,
    // never to a second segment on the next (which a new week row would draw twice).
    nextDayThreshold: "01:00:00",
    scrollTime: "07:00:00",
    dayMaxEvents: 6,
    editable: true,
    eventDurationEditable: false,
    eventSources: [
      {
        url: el.dataset.eventsUrl,
        extraParams: filterParams,
      },
    ],
    eventSourceFailure: function (error) {
      var response = error && error.response;
      if (response && response.json) {
        response.json().then(
          function (body) { say("The calendar could not load: " + reasonOf(body, response.status)); },
          function () { say("The calendar could not load."); }
        );
      } else {
        say("The calendar could not load.");
      }
    },
    eventContent: eventContent,
    // The visible range, for whoever shows figures about it (calendar-mix.js).
    datesSet: function (arg) {
      el.dispatchEvent(new CustomEvent("calendar:range", {
        detail: { start: arg.startStr, end: arg.endStr },
      }));
    },
    eventDidMount: function (arg) {
      arg.el.setAttribute("data-post-id", arg.event.id);
      arg.el.setAttribute("data-testid", "calendar-event");
      arg.el.title = (arg.event.extendedProps || {}).text || arg.event.title;
    },
    eventDrop: function (info) {
      var url = el.dataset.postApi.replace(/\/0\/$/, "/" + info.event.id + "/");
      say("");
      function send(payload) {
        return fetch(url, {
          method: "PATCH",
          credentials: "same-origin",
          headers: {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-CSRFToken": el.dataset.csrf,
          },
          body: JSON.stringify(payload),
        }).then(function (response) {
          return response.json().then(
            function (body) { return { ok: response.ok, status: response.status, body: body }; },
            function () { return { ok: response.ok, status: response.status, body: null }; }
          );
        });
      }
      function done(result) {
        if (!result.ok) {
          info.revert();
          say("Not moved: " + reasonOf(result.body, result.status));
          return;
        }
        el.dataset.lastMoved = info.event.id;
        el.dispatchEvent(new CustomEvent("post-rescheduled", { detail: result.body }));
      }
      var payload = { scheduled_at: info.event.start.toISOString() };
      send(payload)
        .then(function (result) {
          var wanted = result.body && result.body.confirm_handles;
          if (result.status !== 409 || !Array.isArray(wanted) || !wanted.length) {
            return result;
          }
          // Within minutes of now: the same confirmation as the composer, typed out.
          var typed = window.prompt(
            result.body.detail + "\n\nType " + wanted.join(", ") + " to move it:", ""
          );
          if (typed === null || !typed.trim()) {
            return {
              ok: false,
              status: 409,
              body: { detail: "it would go out within minutes, and " + wanted.join(", ") +
                " was not typed to confirm the account." },
            };
          }
          payload.confirm_handles = typed.replace(/,/g, " ").split(/\s+/).filter(Boolean);
          return send(payload);
        })
        .then(done)
        .catch(function () {
          info.revert();
          say("Not moved: the server could not be reached.");
        });
    },
  });
  calendar.render();

  if (filters) {
    filters.addEventListener("change", function () {
      calendar.refetchEvents();
    });
    filters.addEventListener("submit", function (event) {
      event.preventDefault();
      calendar.refetchEvents();
    });
  }
  window.countersignCalendar = calendar;
})();
