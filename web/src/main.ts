document.getElementById("app")!.textContent = "loading";
