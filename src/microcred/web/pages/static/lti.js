// The LTI pages' behaviour, as a file: the Content-Security-Policy allows no inline script.
// A page with the form #back hands the Deep Linking answer to the platform at once (its button
// stays for a browser without scripts); the registration page tells the platform to close it.
(function () {
  "use strict";
  var back = document.getElementById("back");
  if (back) {
    back.submit();
  }
  if (document.body.hasAttribute("data-lti-close")) {
    (window.opener || window.parent).postMessage({ subject: "org.imsglobal.lti.close" }, "*");
  }
})();
