// Passkeys for learners: registration on the account page, sign-in on the sign-in page.
// The server sends WebAuthn options as JSON (binary fields in base64url) and takes the
// browser's answer the same way, as a form field beside the page's CSRF token.
(function () {
  "use strict";

  function fromB64u(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "===".slice((base64.length + 3) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0)).buffer;
  }

  function toB64u(buffer) {
    let binary = "";
    new Uint8Array(buffer).forEach((byte) => { binary += String.fromCharCode(byte); });
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  async function post(url, fields) {
    const response = await fetch(url, {
      method: "POST",
      body: new URLSearchParams(fields),
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    const data = await response.json();
    if (!response.ok) { throw new Error(data.error || String(response.status)); }
    return data;
  }

  function answer(credential) {
    const r = credential.response;
    const out = {
      id: credential.id,
      rawId: toB64u(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toB64u(r.clientDataJSON) },
    };
    if (r.attestationObject) {
      out.response.attestationObject = toB64u(r.attestationObject);
      if (r.getTransports) { out.response.transports = r.getTransports(); }
    } else {
      out.response.authenticatorData = toB64u(r.authenticatorData);
      out.response.signature = toB64u(r.signature);
      if (r.userHandle) { out.response.userHandle = toB64u(r.userHandle); }
    }
    return JSON.stringify(out);
  }

  function say(button, text) {
    const status = document.getElementById(button.dataset.status);
    if (status) { status.textContent = text; status.hidden = false; }
  }

  async function register(button) {
    const csrf = button.dataset.csrf;
    const options = await post("/account/passkeys/options", { csrf_token: csrf });
    options.challenge = fromB64u(options.challenge);
    options.user.id = fromB64u(options.user.id);
    (options.excludeCredentials || []).forEach((c) => { c.id = fromB64u(c.id); });
    const credential = await navigator.credentials.create({ publicKey: options });
    await post("/account/passkeys", { csrf_token: csrf, credential: answer(credential) });
    window.location.assign("/account?done=passkey");
  }

  async function signIn(button) {
    const csrf = button.dataset.csrf;
    const options = await post("/passkeys/sign-in/options", { csrf_token: csrf });
    options.challenge = fromB64u(options.challenge);
    (options.allowCredentials || []).forEach((c) => { c.id = fromB64u(c.id); });
    const credential = await navigator.credentials.get({ publicKey: options });
    const done = await post("/passkeys/sign-in", {
      csrf_token: csrf, credential: answer(credential), next: button.dataset.next || "",
    });
    window.location.assign(done.redirect);
  }

  function wire(id, action) {
    const button = document.getElementById(id);
    if (!button || !window.PublicKeyCredential) { return; }
    // Shown only where the browser can make passkeys (the box is hidden without script).
    button.closest(".passkey").hidden = false;
    button.addEventListener("click", () => {
      button.disabled = true;
      action(button).catch(() => {
        say(button, button.dataset.failed);
        button.disabled = false;
      });
    });
  }

  wire("passkey-add", register);
  wire("passkey-sign-in", signIn);
}());
