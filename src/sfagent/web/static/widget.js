/* sfagent chat widget. Embed with one tag:
 *   <script src="https://YOUR-SFAGENT/static/widget.js" data-tenant="acme"
 *           data-token="END-USER-JWT" async></script>
 * The token is an end-user JWT your backend signs with the tenant's secret. Replies stream
 * over a WebSocket; a dropped connection reconnects and resumes after the last message seen.
 * Markdown is rendered by building DOM nodes (never innerHTML), so no text can become markup.
 */
(function () {
  "use strict";

  var UPLOAD_LIMIT = 100 * 1024; // bytes of code or log pasted from a file
  var TEXT_FILE = /\.(txt|log|cls|trigger|apex|json|xml|csv|js|html|soql|sql|md)$/i;
  var IMAGE_FILE = /\.(png|jpe?g|gif|webp)$/i;
  var CSAT_PHRASE = "from 1 (poor) to 5 (excellent)";

  // ---- safe Markdown -----------------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function inline(text) {
    // `code`, **bold**, [label](http(s)://...) ; everything else is text.
    var out = document.createDocumentFragment();
    var pattern = /(`[^`]+`)|(\*\*[^*]+\*\*)|(\[[^\]]+\]\((https?:\/\/[^)\s]+)\))/g;
    var last = 0, match;
    while ((match = pattern.exec(text)) !== null) {
      if (match.index > last) out.appendChild(document.createTextNode(text.slice(last, match.index)));
      if (match[1]) out.appendChild(el("code", { text: match[1].slice(1, -1) }));
      else if (match[2]) out.appendChild(el("strong", { text: match[2].slice(2, -2) }));
      else {
        var label = match[3].slice(1, match[3].indexOf("]"));
        out.appendChild(el("a", { href: match[4], text: label, target: "_blank", rel: "noopener noreferrer" }));
      }
      last = pattern.lastIndex;
    }
    if (last < text.length) out.appendChild(document.createTextNode(text.slice(last)));
    return out;
  }

  function codeBlock(code, language) {
    var pre = el("pre", { class: "sfa-code", tabindex: "0" }, [el("code", { text: code })]);
    if (language) pre.setAttribute("data-language", language);
    var copy = el("button", { type: "button", class: "sfa-copy", text: "Copy code" });
    copy.addEventListener("click", function () {
      var done = function () { copy.textContent = "Copied"; setTimeout(function () { copy.textContent = "Copy code"; }, 1500); };
      if (navigator.clipboard) navigator.clipboard.writeText(code).then(done, done); else done();
    });
    return el("div", { class: "sfa-code-wrap" }, [copy, pre]);
  }

  function render(markdown) {
    var root = el("div", { class: "sfa-md" });
    var lines = String(markdown).split("\n");
    var i = 0, list = null, paragraph = [];
    function flush() {
      if (paragraph.length) { root.appendChild(el("p", {}, [inline(paragraph.join(" "))])); paragraph = []; }
    }
    while (i < lines.length) {
      var line = lines[i];
      var fence = line.match(/^\s*```\s*([\w+-]*)\s*$/);
      if (fence) {
        flush(); list = null;
        var code = [];
        i += 1;
        while (i < lines.length && !/^\s*```\s*$/.test(lines[i])) { code.push(lines[i]); i += 1; }
        root.appendChild(codeBlock(code.join("\n"), fence[1]));
        i += 1;
        continue;
      }
      var item = line.match(/^\s*(?:[-*]|\d+\.)\s+(.*)$/);
      if (item) {
        flush();
        var ordered = /^\s*\d+\./.test(line);
        if (!list || list.tagName !== (ordered ? "OL" : "UL")) { list = el(ordered ? "ol" : "ul"); root.appendChild(list); }
        list.appendChild(el("li", {}, [inline(item[1])]));
      } else if (!line.trim()) {
        flush(); list = null;
      } else {
        list = null; paragraph.push(line.trim());
      }
      i += 1;
    }
    flush();
    return root;
  }

  window.sfagentRender = render;

  // ---- the widget --------------------------------------------------------------------

  var script = document.currentScript;
  if (!script || !script.dataset.token) return; // loaded for the renderer only
  var token = script.dataset.token;
  var tenant = script.dataset.tenant || "";
  var origin = new URL(script.src, location.href).origin;
  var storageKey = "sfagent:" + tenant + ":conversation";
  var state = { conversation: null, lastSequence: 0, socket: null, retry: 0, seen: {}, rated: false };

  function api(path, options) {
    options = options || {};
    options.headers = Object.assign({ "Authorization": "Bearer " + token, "Content-Type": "application/json" }, options.headers || {});
    return fetch(origin + path, options).then(function (response) {
      if (response.status === 204) return null;
      return response.json().then(function (body) {
        if (!response.ok) throw new Error(body.error || ("HTTP " + response.status));
        return body;
      });
    });
  }

  var css = el("link", { rel: "stylesheet", href: origin + "/static/widget.css" });
  document.head.appendChild(css);

  var launcher = el("button", { type: "button", class: "sfa-launcher", "aria-expanded": "false", "aria-controls": "sfa-panel", text: "Chat with support" });
  var log = el("div", { class: "sfa-log", role: "log", tabindex: "0", "aria-live": "polite", "aria-relevant": "additions", "aria-label": "Conversation" });
  var typing = el("p", { class: "sfa-typing", "aria-live": "polite", text: "" });
  var input = el("textarea", { id: "sfa-input", rows: "3", placeholder: "Describe the problem, paste an error or code…" });
  var label = el("label", { for: "sfa-input", class: "sfa-sr", text: "Your message" });
  var send = el("button", { type: "submit", class: "sfa-send", text: "Send" });
  var file = el("input", { type: "file", id: "sfa-file", class: "sfa-sr", accept: ".txt,.log,.cls,.trigger,.apex,.json,.xml,.csv,.soql,.png,.jpg,.jpeg" });
  var attach = el("label", { for: "sfa-file", class: "sfa-attach", text: "Attach a file" });
  var status = el("p", { class: "sfa-status", role: "status", text: "" });
  var form = el("form", { class: "sfa-form" }, [label, input, el("div", { class: "sfa-actions" }, [file, attach, send])]);
  var close = el("button", { type: "button", class: "sfa-close", "aria-label": "Close chat", text: "×" });
  var panel = el("section", { id: "sfa-panel", class: "sfa-panel", "aria-label": "Support chat", hidden: "hidden" }, [
    el("header", { class: "sfa-header" }, [el("h2", { text: "Salesforce support" }), close]),
    log, typing, status, form,
  ]);
  var root = el("div", { class: "sfa-root" }, [panel, launcher]);
  document.body.appendChild(root);

  function toggle(open) {
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    if (open) { input.focus(); start(); } else launcher.focus();
  }
  launcher.addEventListener("click", function () { toggle(panel.hidden); });
  close.addEventListener("click", function () { toggle(false); });
  panel.addEventListener("keydown", function (event) { if (event.key === "Escape") toggle(false); });

  function addMessage(message) {
    if (state.seen[message.sequence] || message.role === "note") return;
    state.seen[message.sequence] = true;
    state.lastSequence = Math.max(state.lastSequence, message.sequence);
    var who = { user: "You", assistant: "Assistant", agent: "Support engineer", system: "System" }[message.role] || message.role;
    var item = el("article", { class: "sfa-msg sfa-" + message.role, "data-sequence": String(message.sequence) }, [
      el("h3", { class: "sfa-who", text: who }), render(message.content),
    ]);
    if (message.role === "assistant" && message.sequence > 1) item.appendChild(feedback(message));
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
    if (message.role === "assistant" && message.content.indexOf(CSAT_PHRASE) !== -1) askRating();
  }

  function feedback(message) {
    var up = el("button", { type: "button", "aria-label": "This reply helped", text: "Helpful" });
    var down = el("button", { type: "button", "aria-label": "This reply did not help", text: "Not helpful" });
    var box = el("div", { class: "sfa-feedback" }, [up, down]);
    function vote(helpful) {
      api("/api/v1/messages/" + message.id + "/feedback", {
        method: "POST", body: JSON.stringify({ helpful: helpful }),
      }).then(function () {
        box.replaceChildren(el("span", { text: helpful ? "Thanks for the feedback." : "Thanks — we will do better." }));
      }, showError);
    }
    up.addEventListener("click", function () { vote(true); });
    down.addEventListener("click", function () { vote(false); });
    return box;
  }

  function askRating() {
    if (state.rated || log.querySelector(".sfa-rating")) return;
    var buttons = [1, 2, 3, 4, 5].map(function (score) {
      var button = el("button", { type: "button", "aria-label": "Rate " + score + " out of 5", text: String(score) });
      button.addEventListener("click", function () {
        api("/api/v1/conversations/" + state.conversation + "/rating", { method: "POST", body: JSON.stringify({ score: score }) })
          .then(function () { state.rated = true; box.replaceChildren(el("p", { text: "Thank you for rating this conversation " + score + " out of 5." })); }, showError);
      });
      return button;
    });
    var box = el("div", { class: "sfa-rating", role: "group", "aria-label": "Rate this conversation" }, [
      el("p", { text: "How would you rate this conversation?" }),
    ].concat(buttons));
    log.appendChild(box);
  }

  function showError(error) { status.textContent = String(error.message || error); }

  function start() {
    if (state.conversation) return;
    var known = sessionStorage.getItem(storageKey);
    var ready = known ? Promise.resolve(known) : api("/api/v1/conversations", { method: "POST", body: JSON.stringify({ channel: "web" }) })
      .then(function (created) { sessionStorage.setItem(storageKey, created.id); return created.id; });
    ready.then(function (id) { state.conversation = id; connect(); }, showError);
  }

  function connect() {
    var url = origin.replace(/^http/, "ws") + "/api/v1/conversations/" + state.conversation +
      "/live?access_token=" + encodeURIComponent(token) + "&after=" + state.lastSequence;
    var socket = new WebSocket(url);
    state.socket = socket;
    socket.addEventListener("open", function () { state.retry = 0; status.textContent = ""; });
    socket.addEventListener("message", function (event) {
      var frame = JSON.parse(event.data);
      if (frame.type === "message") addMessage(frame.message);
      else if (frame.type === "typing") typing.textContent = frame.active ? "The assistant is typing…" : "";
      else if (frame.type === "status" && frame.status === "resolved" && !frame.csat_score) askRating();
      else if (frame.type === "error") showError(frame.error);
    });
    socket.addEventListener("close", function (event) {
      if (event.code >= 4400 && event.code < 4500) { showError(event.reason || "Cannot connect"); return; }
      var delay = Math.min(15000, 1000 * Math.pow(2, state.retry++));
      status.textContent = "Reconnecting…";
      setTimeout(connect, delay);
    });
  }

  function uploadScreenshot(chosen) {
    var body = new FormData();
    body.append("file", chosen, chosen.name);
    status.textContent = "Uploading " + chosen.name + "…";
    fetch(origin + "/api/v1/conversations/" + state.conversation + "/attachments", {
      method: "POST", headers: { "Authorization": "Bearer " + token }, body: body,
    }).then(function (response) {
      return response.json().then(function (stored) {
        if (!response.ok) throw new Error(stored.error || ("HTTP " + response.status));
        status.textContent = "";
        var note = input.value.trim() ? input.value.trim() + "\n\n" : "";
        if (submit(note + "Screenshot attached: " + stored.filename + " (attachment " + stored.id + ")")) input.value = "";
      });
    }).catch(showError);
  }

  function submit(content) {
    if (!content.trim() || !state.socket || state.socket.readyState !== WebSocket.OPEN) return false;
    state.socket.send(JSON.stringify({ type: "message", content: content }));
    return true;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (submit(input.value)) input.value = "";
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
  });
  file.addEventListener("change", function () {
    var chosen = file.files && file.files[0];
    file.value = "";
    if (!chosen) return;
    if (IMAGE_FILE.test(chosen.name)) { uploadScreenshot(chosen); return; }
    if (!TEXT_FILE.test(chosen.name)) { showError("Attach a screenshot (PNG, JPEG, GIF, WebP) or a code or log file."); return; }
    if (chosen.size > UPLOAD_LIMIT) { showError(chosen.name + " is larger than 100 KB: attach the part around the error."); return; }
    chosen.text().then(function (text) {
      var note = input.value.trim() ? input.value.trim() + "\n\n" : "";
      if (submit(note + "Attached " + chosen.name + ":\n```\n" + text + "\n```")) input.value = "";
    }, showError);
  });
})();
