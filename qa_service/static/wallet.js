// Optional: one-click signing with a browser wallet (EIP-1193 personal_sign).
// The page works without it: copy the message, sign it anywhere, paste the signature.
(function () {
  "use strict";
  var form = document.getElementById("sign-form");
  var button = document.getElementById("wallet-sign");
  if (!form || !button || !window.ethereum) return;
  button.hidden = false;
  button.addEventListener("click", async function () {
    var message = document.getElementById("message").value;
    var wanted = message.split("\n")[1].toLowerCase();
    try {
      var accounts = await window.ethereum.request({ method: "eth_requestAccounts" });
      var account = accounts.find(function (a) { return a.toLowerCase() === wanted; });
      if (!account) {
        alert((button.dataset.wrongAccount || "Your wallet's account is not this address: ") + wanted);
        return;
      }
      var hex = "0x" + Array.from(new TextEncoder().encode(message))
        .map(function (b) { return b.toString(16).padStart(2, "0"); }).join("");
      var signature = await window.ethereum.request({ method: "personal_sign", params: [hex, account] });
      document.getElementById("signature").value = signature;
      form.submit();
    } catch (error) {
      alert((button.dataset.notSigned || "The wallet did not sign: ") + (error && error.message ? error.message : error));
    }
  });
})();
