/* sfagent agent console: sign in, work the escalation queue, talk to the customer live.
 * Text from customers is only ever set as textContent or rendered by sfagentRender (DOM
 * nodes, never innerHTML). */
(function () {
  "use strict";

  var render = window.sfagentRender;
  var state = { token: sessionStorage.getItem("sfagent:staff-token"), current: null, socket: null, seen: {} };
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function api(path, options) {
    options = options || {};
    options.headers = Object.assign({ "Content-Type": "application/json" }, options.headers || {});
    if (state.token) options.headers.Authorization = "Bearer " + state.token;
    return fetch(path, options).then(function (response) {
      if (response.status === 204) return null;
      return response.json().then(function (body) {
        if (!response.ok) throw new Error(body.error || ("HTTP " + response.status));
        return body;
      });
    });
  }

  function say(text) { $("desk-status").textContent = text; }

  $("login").addEventListener("submit", function (event) {
    event.preventDefault();
    api("/api/v1/auth/login", {
      method: "POST",
      body: JSON.stringify({ organization: $("org").value, email: $("email").value, password: $("password").value }),
    }).then(function (body) {
      state.token = body.access_token;
      sessionStorage.setItem("sfagent:staff-token", state.token);
      open();
    }, function (error) { $("login-error").textContent = error.message; });
  });

  function open() {
    $("login").hidden = true;
    $("desk").hidden = false;
    api("/api/v1/me").then(function (me) {
      state.role = me.principal.role;
      $("who").textContent = me.principal.role + " · " + me.organization_id;
    });
    refresh();
    setInterval(refresh, 10000);
  }

  function refresh() {
    api("/api/v1/escalations").then(function (body) {
      var list = $("queue");
      list.replaceChildren();
      if (!body.items.length) list.appendChild(el("li", "Nothing waiting."));
      body.items.forEach(function (item) {
        var button = el("button");
        button.type = "button";
        button.setAttribute("data-escalation", item.id);
        if (item.sla_breached_at) button.classList.add("breached");
        button.appendChild(el("span", item.priority, "badge " + item.priority));
        button.appendChild(document.createTextNode(" " + item.reason));
        var due = new Date(item.sla_due_at);
        button.appendChild(el("small", " · due " + due.toLocaleTimeString() + (item.sla_breached_at ? " (SLA missed)" : "") +
          (item.assigned_to ? " · " + item.assigned_to : "")));
        button.addEventListener("click", function () { show(item); });
        var entry = el("li");
        entry.appendChild(button);
        list.appendChild(entry);
      });
    }, function (error) { say(error.message); });
  }

  function show(item) {
    state.current = item;
    state.seen = {};
    $("detail").hidden = false;
    $("detail-title").textContent = "Conversation " + item.conversation_id.split("-")[0];
    var summary = $("summary");
    summary.replaceChildren();
    [["Why", item.reason], ["Priority", item.priority], ["Queue", item.queue], ["Status", item.status],
     ["Problem", item.summary.problem], ["Diagnosis", item.summary.diagnosis || "—"],
     ["Tried", (item.summary.tried || []).join("; ") || "—"], ["Sentiment", item.summary.sentiment_trend]]
      .forEach(function (pair) { summary.appendChild(el("dt", pair[0])); summary.appendChild(el("dd", pair[1])); });
    $("messages").replaceChildren();
    listen(item.conversation_id);
  }

  function addMessage(message) {
    if (state.seen[message.sequence]) return;
    state.seen[message.sequence] = true;
    var who = { user: "Customer", assistant: "Assistant", agent: "Agent", note: "Internal note" }[message.role] || message.role;
    var box = el("article", undefined, "msg " + message.role);
    box.appendChild(el("h3", who + " · #" + message.sequence));
    var body = render(message.content);
    box.appendChild(body);
    // Owners and admins may see what the guard tokenized (the reveal is audited).
    if (TOKEN.test(message.content) && (state.role === "owner" || state.role === "admin")) {
      box.appendChild(revealButton(message, body));
    }
    if (message.role === "user" && message.analysis) box.appendChild(analysisLine(message));
    var attached = /\(attachment ([0-9a-f-]{36})\)/.exec(message.content);
    if (attached) box.appendChild(screenshotButton(attached[1]));
    $("messages").appendChild(box);
    $("messages").scrollTop = $("messages").scrollHeight;
  }

  function analysisLine(message) {
    // What the assistant understood and decided, for the person taking over.
    var analysis = message.analysis;
    var nlu = analysis.nlu || {};
    var parts = [];
    if (message.intent) parts.push("intent " + message.intent + " (" + Math.round((message.confidence || 0) * 100) + "%)");
    if (nlu.category && nlu.category.category) parts.push("category " + nlu.category.category);
    if (message.sentiment !== null && message.sentiment !== undefined) parts.push("sentiment " + message.sentiment.toFixed(2));
    if (message.emotion) parts.push(message.emotion);
    if (analysis.action) parts.push(analysis.action + ": " + (analysis.decision_reason || ""));
    var diagnostics = (analysis.diagnostics || [])[0];
    if (diagnostics && diagnostics.causes && diagnostics.causes.length) parts.push("diagnosis " + diagnostics.causes[0].title);
    return el("p", "Analysis · " + parts.join(" · "), "analysis");
  }

  var TOKEN = /\[[A-Z_]+:tok_[0-9a-f]{16}\]/;

  function revealButton(message, body) {
    var button = el("button", "Show originals");
    button.type = "button";
    button.addEventListener("click", function () {
      api("/api/v1/conversations/" + message.conversation_id + "/messages/" + message.id + "/reveal")
        .then(function (revealed) {
          body.replaceWith(render(revealed.content));
          button.remove();
        }, function (error) { say(error.message); });
    });
    return button;
  }

  function screenshotButton(id) {
    var button = el("button", "Show screenshot");
    button.type = "button";
    button.addEventListener("click", function () {
      fetch("/api/v1/attachments/" + id, { headers: { Authorization: "Bearer " + state.token } })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.blob();
        })
        .then(function (blob) {
          var image = document.createElement("img");
          image.src = URL.createObjectURL(blob);
          image.alt = "Screenshot attached by the customer";
          image.className = "shot";
          button.replaceWith(image);
        }, function (error) { say(error.message); });
    });
    return button;
  }

  function listen(conversation) {
    if (state.socket) state.socket.close();
    var url = location.origin.replace(/^http/, "ws") + "/api/v1/conversations/" + conversation +
      "/live?access_token=" + encodeURIComponent(state.token);
    var socket = new WebSocket(url);
    state.socket = socket;
    socket.addEventListener("message", function (event) {
      var frame = JSON.parse(event.data);
      if (frame.type === "message") addMessage(frame.message);
    });
  }

  function act(path, body, done) {
    if (!state.current) return;
    api("/api/v1/escalations/" + state.current.id + path, { method: "POST", body: JSON.stringify(body || {}) })
      .then(function (result) { say(done); refresh(); return result; }, function (error) { say(error.message); });
  }

  $("claim").addEventListener("click", function () { act("/claim", {}, "Claimed."); });
  $("resolve").addEventListener("click", function () { act("/resolve", {}, "Resolved."); });
  $("return").addEventListener("click", function () { act("/return", {}, "Handed back to the assistant."); });
  $("transfer").addEventListener("submit", function (event) {
    event.preventDefault();
    var queue = $("transfer-queue").value.trim();
    if (queue) act("/transfer", { queue: queue }, "Transferred to " + queue + ".");
  });
  $("reply").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = $("reply-text").value;
    if (!text.trim() || !state.current) return;
    api("/api/v1/escalations/" + state.current.id + "/messages", {
      method: "POST", body: JSON.stringify({ content: text, internal: $("internal").checked }),
    }).then(function (message) {
      $("reply-text").value = "";
      addMessage(message);
      say($("internal").checked ? "Note added." : "Sent.");
    }, function (error) { say(error.message); });
  });

  if (state.token) open();
})();
