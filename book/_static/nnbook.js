/* The book's own fixes to its theme (sphinx-book-theme 1.3 on pydata-sphinx-theme 0.17).
 *
 * 1. Navigation buttons. pydata-sphinx-theme 0.17 attaches the handlers of its sidebar
 *    buttons to the first element with the class `primary-toggle` (`secondary-toggle`): a
 *    copy in its own header that sphinx-book-theme hides. The buttons a reader sees, in the
 *    article header, do nothing (pydata-sphinx-theme#2451, sphinx-book-theme#988). Here they
 *    open the sidebar as a dialog on narrow screens (by clicking the theme's own button) and,
 *    on wide screens, the primary one shows and hides the sidebar.
 * 2. Search results. Sphinx shows an excerpt of each page found, taken from the page's HTML,
 *    where formulas are TeX source (`\(\delta^{(l)}_k\)`). They are turned into plain text
 *    (`δ⁽ˡ⁾ₖ`) before the excerpt is made.
 * 3. Wide figures. A figure is never shown narrower than the width at which its labels stay
 *    legible (nnbook.css); on a narrower screen it scrolls sideways in its frame, and a line
 *    under it says so, since a frame that scrolls does not show it.
 */
"use strict";

(() => {
  const WIDE = "(min-width: 960px)"; // the theme's breakpoint-lg: a sidebar beside the article

  function setUpToggle(kind) {
    const buttons = Array.from(document.querySelectorAll(`.${kind}-toggle`));
    const themeButton = document.querySelector(`.bd-header .${kind}-toggle`) || buttons[0];
    const sidebar = document.getElementById(`pst-${kind}-sidebar`);
    if (!themeButton || !sidebar) return;
    buttons.filter((button) => button !== themeButton).forEach((button) => {
      const wide = kind === "primary";
      button.setAttribute("aria-controls", sidebar.id);
      if (wide && window.matchMedia(WIDE).matches) {
        button.setAttribute("aria-expanded", "true");
      }
      button.addEventListener("click", (event) => {
        event.preventDefault();
        event.stopPropagation();
        if (wide && window.matchMedia(WIDE).matches) {
          const hidden = sidebar.classList.toggle("pst-sidebar-hidden");
          button.setAttribute("aria-expanded", String(!hidden));
        } else {
          themeButton.click(); // the theme's handler: the sidebar as a modal dialog
        }
      });
    });
  }

  // -- TeX to text, for search excerpts --------------------------------------------------
  const SYMBOLS = {
    alpha: "α", beta: "β", gamma: "γ", delta: "δ", epsilon: "ε", varepsilon: "ε", zeta: "ζ",
    eta: "η", theta: "θ", lambda: "λ", mu: "μ", nu: "ν", xi: "ξ", pi: "π", rho: "ρ",
    sigma: "σ", tau: "τ", phi: "φ", varphi: "φ", chi: "χ", psi: "ψ", omega: "ω", Gamma: "Γ",
    Delta: "Δ", Theta: "Θ", Lambda: "Λ", Sigma: "Σ", Phi: "Φ", Psi: "Ψ", Omega: "Ω",
    partial: "∂", nabla: "∇", sum: "∑", prod: "∏", infty: "∞", ldots: "…", dots: "…",
    cdots: "⋯", prime: "′", top: "ᵀ", intercal: "ᵀ", quad: " ", qquad: " ", sqrt: "√",
    mid: "|", vert: "|", ell: "ℓ", forall: "∀",
  };
  const BINARY = {
    cdot: "·", times: "×", approx: "≈", le: "≤", leq: "≤", ge: "≥", geq: "≥", ne: "≠",
    neq: "≠", to: "→", rightarrow: "→", leftarrow: "←", mapsto: "↦", in: "∈", odot: "⊙",
    pm: "±", equiv: "≡", sim: "∼",
  };
  const DROPPED = new Set(["left", "right", "big", "Big", "bigg", "Bigg", "displaystyle",
    "limits", "nolimits", "mathbf", "mathrm", "mathit", "mathcal", "boldsymbol", "text",
    "textrm", "operatorname", "mathsf", "bm", "begin", "end"]);
  const ACCENTS = { hat: "\u0302", widehat: "\u0302", bar: "\u0304", overline: "\u0304",
    tilde: "\u0303", vec: "\u20d7", dot: "\u0307" };
  const table = (from, to) => Object.fromEntries([...from].map((c, i) => [c, [...to][i]]));
  const SUPER = table("0123456789+-=()abcdefghijklmnoprstuvwxyzT",
    "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᵀ");
  const SUB = table("0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ");

  function group(tex, start) {
    while (tex[start] === " ") start += 1;
    if (start >= tex.length) return ["", start];
    if (tex[start] === "{") {
      let depth = 0;
      for (let end = start; end < tex.length; end += 1) {
        if (tex[end] === "{") depth += 1;
        if (tex[end] === "}") depth -= 1;
        if (depth === 0) return [tex.slice(start + 1, end), end + 1];
      }
      return [tex.slice(start + 1), tex.length];
    }
    if (tex[start] === "\\") {
      const match = /^\\([A-Za-z]+|.)/.exec(tex.slice(start));
      return [match[0], start + match[0].length];
    }
    return [tex[start], start + 1];
  }

  function operand(text) {
    return /^(∂?\p{L}\p{M}*['′]?[⁰-⁹¹²³⁽⁾⁺⁻ᵀᵃ-ᶻʰʲʳʷˡˢˣʸⁱⁿ₀-₉₊₋ₐ-ₜᵢ-ᵥⱼ,]*|[0-9.]+)$/u.test(text)
      ? text : `(${text})`;
  }

  function texToText(tex) {
    let out = "";
    let i = 0;
    while (i < tex.length) {
      const char = tex[i];
      if (char === "\\") {
        const match = /^\\([A-Za-z]+|.)/.exec(tex.slice(i));
        const name = match[1];
        i += match[0].length;
        if (/^[A-Za-z]+$/.test(name)) while (tex[i] === " ") i += 1;
        if (name in ACCENTS) {
          let inside;
          [inside, i] = group(tex, i);
          const text = texToText(inside);
          out += [...text].length === 1 ? text + ACCENTS[name] : text;
        } else if (name === "frac") {
          let top; let bottom;
          [top, i] = group(tex, i);
          [bottom, i] = group(tex, i);
          out += `${operand(texToText(top))}/${operand(texToText(bottom))}`;
        } else if (name === "sqrt") {
          let inside;
          [inside, i] = group(tex, i);
          out += `√(${texToText(inside)})`;
        } else if (name === "begin" || name === "end") {
          [, i] = group(tex, i);
          out += " ";
        } else if (",;: ".includes(name)) {
          out += " ";
        } else if (name === "!") {
          // a negative space
        } else if ("{}_%$#&".includes(name)) {
          out += name;
        } else if (name === "\\") {
          out += "; ";
        } else if (name in BINARY) {
          out += ` ${BINARY[name]} `;
        } else if (name in SYMBOLS) {
          out += SYMBOLS[name];
        } else if (!DROPPED.has(name)) {
          out += name;
        }
      } else if (char === "^" || char === "_") {
        let inside;
        [inside, i] = group(tex, i + 1);
        const text = texToText(inside);
        const map = char === "^" ? SUPER : SUB;
        const chars = [...text];
        if (chars.every((c) => c in map || ",ᵀ′ ".includes(c))) {
          out += chars.map((c) => map[c] || c).join("");
        } else if (char === "^") {
          out += chars.length === 1 ? `^${text}` : `^(${text})`;
        } else {
          out += chars.length === 1 ? text : `_${text}`;
        }
      } else if (char === "{" || char === "}") {
        i += 1;
      } else if (char === "&" || char === "~") {
        out += " ";
        i += 1;
      } else {
        out += char;
        i += 1;
      }
    }
    return out.replace(/\s+/g, " ").trim();
  }
  window.nnbookTexToText = texToText;

  function readableFormulas(htmlString) {
    const page = new DOMParser().parseFromString(htmlString, "text/html");
    page.querySelectorAll(".math").forEach((formula) => {
      const tex = formula.textContent.trim()
        .replace(/^\\\(|\\\)$/g, "").replace(/^\\\[|\\\]$/g, "").replace(/^\$\$?|\$\$?$/g, "");
      formula.textContent = ` ${texToText(tex)} `;
    });
    return page.documentElement.outerHTML;
  }

  function setUpSearch() {
    // `Search` is the global of Sphinx's searchtools.js, on the search page.
    if (typeof Search === "undefined" || !Search.htmlToText || Search.nnbookReadable) return;
    const htmlToText = Search.htmlToText;
    Search.htmlToText = (htmlString, anchor) => htmlToText(readableFormulas(htmlString), anchor);
    Search.nnbookReadable = true;
  }

  const SCROLL_NOTE = "Swipe sideways to see the whole figure, or tap it to open it full size.";

  function markWideFigures() {
    document.querySelectorAll(".bd-article a.image-reference").forEach((frame) => {
      const scrolls = frame.scrollWidth > frame.clientWidth + 1;
      let note = frame.nextElementSibling;
      if (!(note && note.classList.contains("nnbook-scroll-note"))) note = null;
      if (scrolls && !note) {
        note = document.createElement("p");
        note.className = "nnbook-scroll-note";
        note.textContent = SCROLL_NOTE;
        frame.after(note);
      } else if (!scrolls && note) {
        note.remove();
      }
    });
  }

  setUpSearch();
  const ready = () => {
    setUpToggle("primary");
    setUpToggle("secondary");
    markWideFigures();
    window.addEventListener("load", markWideFigures); // images have their sizes then
    window.addEventListener("resize", markWideFigures);
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
