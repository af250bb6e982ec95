// A <select data-autosubmit> submits its form as soon as it changes (the program overview's period
// picker). A static file rather than an onchange="" attribute: the Content-Security-Policy runs no
// inline code. Without JavaScript the form's own button still submits it.
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLSelectElement && field.dataset.autosubmit !== undefined && field.form) {
    field.form.requestSubmit();
  }
});
