// The ads exist only in this script: a crawler that does not run JavaScript sees empty pages.
const ADS = {
  "1": {
    title: "Dancers wanted for a cruise line",
    text: [
      "An entertainment agency is hiring dancers for a season on a cruise ship in the Mediterranean.",
      "The agency books and pays your flight to the port; the cost is taken from your first wages.",
      "Hand your passport to the crew manager when you board. Apply by private message only."
    ]
  }
};

function el(tag, text) {
  const node = document.createElement(tag);
  if (text) node.textContent = text;
  return node;
}

function renderListing(root) {
  root.textContent = "";
  root.appendChild(el("h1", "Latest ads"));
  const list = el("ul");
  for (const [id, ad] of Object.entries(ADS)) {
    const item = el("li");
    const link = el("a", ad.title);
    link.href = "ad.html?id=" + id;
    item.appendChild(link);
    list.appendChild(item);
  }
  root.appendChild(list);
}

function renderAd(root, id) {
  const ad = ADS[id];
  root.textContent = "";
  if (!ad) { root.appendChild(el("h1", "Ad not found")); return; }
  const logo = el("img");
  logo.src = "img/banner.png";
  root.appendChild(logo);
  root.appendChild(el("h1", ad.title));
  for (const line of ad.text) root.appendChild(el("p", line));
}
