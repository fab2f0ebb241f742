// Large attachments: send the chosen file in parts with a progress bar, and resume after a
// failure (a dropped connection, a server restart) from what the server already has.
// The form then carries only the upload id (hidden field "upload_id"), not the file.
// Progressive: without this script the file is sent with the form as before.
(function () {
  "use strict";

  const MAX_TRIES = 6;

  function csrfToken(form) {
    const field = form.querySelector('input[name="csrfmiddlewaretoken"]');
    return field ? field.value : "";
  }

  function sleep(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  function humanSize(bytes) {
    if (bytes >= 1048576) return (bytes / 1048576).toFixed(1) + " MB";
    return Math.max(1, Math.round(bytes / 1000)) + " KB";
  }

  async function answer(response) {
    let body = {};
    try { body = await response.json(); } catch (e) { body = {}; }
    return body;
  }

  function setup(input) {
    const form = input.form;
    const hidden = form && form.querySelector('input[name="upload_id"]');
    const startUrl = input.dataset.uploadUrl;
    if (!form || !hidden || !startUrl) return;

    const box = document.createElement("div");
    box.className = "chunked-upload mt-2";
    box.hidden = true;
    const progress = document.createElement("progress");
    progress.className = "w-100";
    progress.max = 100;
    progress.value = 0;
    progress.setAttribute("data-testid", "upload-progress");
    const status = document.createElement("div");
    status.className = "small";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    status.setAttribute("data-testid", "upload-status");
    const retry = document.createElement("button");
    retry.type = "button";
    retry.className = "btn btn-sm btn-outline-secondary mt-1";
    retry.textContent = "Resume the upload";
    retry.hidden = true;
    box.append(progress, status, retry);
    input.insertAdjacentElement("afterend", box);

    const submits = Array.from(form.querySelectorAll('[type="submit"]'));
    let current = null; // {file, id}

    function busy(on) {
      submits.forEach(function (b) { b.disabled = on; });
    }

    function show(sent, total, text) {
      box.hidden = false;
      progress.value = total ? Math.floor((sent / total) * 100) : 0;
      status.textContent = text;
    }

    function storageKey(file) {
      return "upload:" + startUrl + ":" + file.name + ":" + file.size + ":" + file.lastModified;
    }

    async function request(method, url, body, headers) {
      return fetch(url, {
        method: method,
        body: body,
        credentials: "same-origin",
        headers: Object.assign({ "X-CSRFToken": csrfToken(form), "Accept": "application/json" }, headers || {}),
      });
    }

    async function begin(file) {
      const remembered = sessionStorage.getItem(storageKey(file));
      if (remembered) {
        const response = await request("GET", startUrl + remembered + "/");
        if (response.ok) return Object.assign(await answer(response), { upload_id: remembered });
      }
      const response = await request("POST", startUrl, JSON.stringify({ name: file.name, size: file.size }),
        { "Content-Type": "application/json" });
      const body = await answer(response);
      if (!response.ok) throw new Error(body.detail || "The upload could not start.");
      sessionStorage.setItem(storageKey(file), body.upload_id);
      return body;
    }

    async function send(file) {
      const state = await begin(file);
      const id = state.upload_id;
      const chunk = state.chunk_bytes || 1048576;
      let offset = state.received || 0;
      let tries = 0;
      current = { file: file, id: id };
      while (offset < file.size) {
        show(offset, file.size, "Uploading " + file.name + ": " + humanSize(offset) + " of " + humanSize(file.size));
        let response = null;
        try {
          response = await request("PUT", startUrl + id + "/?offset=" + offset,
            file.slice(offset, offset + chunk), { "Content-Type": "application/octet-stream" });
        } catch (e) {
          response = null; // the connection dropped: ask the server what it has
        }
        if (response && response.ok) {
          offset = (await answer(response)).received;
          tries = 0;
          continue;
        }
        const body = response ? await answer(response) : {};
        if (response && response.status === 409 && typeof body.received === "number") {
          offset = body.received;
          continue;
        }
        if (response && response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
          sessionStorage.removeItem(storageKey(file));
          throw new Error(body.detail || "The server refused the file.");
        }
        tries += 1;
        if (tries >= MAX_TRIES) throw new Error("The connection keeps failing.", { cause: "retry" });
        show(offset, file.size, "Connection problem; trying again…");
        await sleep(Math.min(16000, 500 * Math.pow(2, tries)));
        try {
          const again = await request("GET", startUrl + id + "/");
          if (again.ok) offset = (await answer(again)).received;
        } catch (e) { /* still down: the next try asks again */ }
      }
      sessionStorage.removeItem(storageKey(file));
      return id;
    }

    async function run(file) {
      hidden.value = "";
      retry.hidden = true;
      busy(true);
      try {
        const id = await send(file);
        hidden.value = id;
        input.value = ""; // the form sends the upload id, not the file again
        show(file.size, file.size, "Uploaded " + file.name + " (" + humanSize(file.size) + "). It is checked against each channel when you save.");
        box.dataset.state = "done";
      } catch (error) {
        status.textContent = error.message;
        box.dataset.state = "failed";
        retry.hidden = false;
      } finally {
        busy(false);
      }
    }

    input.addEventListener("change", function () {
      const file = input.files && input.files[0];
      if (file) run(file);
    });
    retry.addEventListener("click", function () {
      if (current) run(current.file);
    });
  }

  document.querySelectorAll("input[type=file][data-chunked-upload]").forEach(setup);
})();
