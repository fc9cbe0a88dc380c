// The signclip page: text -> animated signs, .pose file -> closest texts and signs.
// Plain browser JavaScript, no libraries: the page must work offline.
"use strict";

const $ = (id) => document.getElementById(id);
const CANVAS_WIDTH = 190;
// Canvases being animated, each with its drawing; replaced by every new search.
let animated = [];
// Results per search, at most what the server allows (read from /api/info).
let maxResults = 50;

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  };
  const response = await fetch(path, options);
  const payload = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(payload.detail || `${response.status} ${response.statusText}`);
  }
  return payload;
}

function setStatus(message, isError = false) {
  $("status").textContent = message;
  $("status").className = isError ? "error" : "";
}

async function loadInfo() {
  const info = await api("/api/info");
  for (const language of info.sign_languages) {
    const option = document.createElement("option");
    option.value = option.textContent = language;
    $("language").append(option);
  }
  maxResults = Math.min(maxResults, info.limits.max_k);
  const clips = info.index_size;
  $("about").textContent = clips
    ? `Model ${info.model}, ${clips} signs in ${info.sign_languages.length} sign languages. ` +
      "Type a word to see how it is signed, or drop a .pose file to find what it means."
    : `Model ${info.model}; no index loaded, so there is nothing to search.`;
}

function searchOptions() {
  const k = Math.max(1, Math.min(maxResults, parseInt($("k").value, 10) || 8));
  return { k, sign_language: $("language").value || null };
}

async function searchText(event) {
  event.preventDefault();
  const text = $("query").value.trim();
  if (!text) return;
  setStatus(`Searching for “${text}”…`);
  try {
    const result = await api("/api/search", { text, ...searchOptions() });
    showTexts([]);
    await showClips(result.clips, `Signs for “${text}”`);
    setStatus(result.clips.length ? "" : "No signs found.");
  } catch (error) {
    setStatus(error.message, true);
  }
}

function fileToBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(new Error(`${file.name}: cannot be read`));
    reader.readAsDataURL(file);
  });
}

async function searchPose(file) {
  if (!file) return;
  setStatus(`Reading ${file.name}…`);
  try {
    const pose = await fileToBase64(file);
    const result = await api("/api/search", { pose, ...searchOptions() });
    showTexts(result.texts);
    await showClips(result.clips, `Signs closest to ${file.name}`);
    setStatus("");
  } catch (error) {
    setStatus(error.message, true);
  }
}

function showTexts(texts) {
  $("texts").replaceChildren(...texts.map((t) => {
    const item = document.createElement("li");
    item.className = "text-result";
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = ` ${t.sign_language} · score ${t.score.toFixed(3)}`;
    item.append(t.text, meta);
    return item;
  }));
  $("texts-section").hidden = texts.length === 0;
}

async function showClips(clips, title) {
  // Drawings of an earlier search that arrive late must not join this one's.
  const current = (animated = []);
  $("clips-title").textContent = title;
  const cards = clips.map(makeCard);
  $("clips").replaceChildren(...cards.map((c) => c.card));
  $("clips-section").hidden = clips.length === 0;
  await Promise.all(cards.map(async ({ canvas, clip }) => {
    try {
      const drawing = await api(`/api/clips/${encodeURIComponent(clip.clip_id)}/frames`);
      canvas.height = Math.round(CANVAS_WIDTH * Math.min(1.5, drawing.height / drawing.width));
      if (animated === current) {
        current.push({ canvas, drawing, start: performance.now() });
      }
    } catch (error) {
      canvas.title = error.message;
    }
  }));
}

function makeCard(clip) {
  const card = document.createElement("div");
  card.className = "card";
  card.dataset.clipId = clip.clip_id;
  const canvas = document.createElement("canvas");
  canvas.width = CANVAS_WIDTH;
  canvas.height = CANVAS_WIDTH;
  const text = document.createElement("div");
  text.className = "text";
  text.textContent = `${clip.rank}. ${clip.text}`;
  const meta = document.createElement("div");
  meta.className = "meta";
  meta.textContent = `${clip.sign_language} · score ${clip.score.toFixed(3)} · ${clip.clip_id}`;
  card.append(canvas, text, meta);
  return { card, canvas, clip };
}

function drawFrame(canvas, drawing, frame) {
  const context = canvas.getContext("2d");
  const points = drawing.frames[frame];
  const scale = canvas.width / drawing.width;
  context.fillStyle = "#fff";
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.lineCap = context.lineJoin = "round";
  const at = (k) => (points[2 * k] === null ? null : [points[2 * k] * scale, points[2 * k + 1] * scale]);
  for (const part of drawing.parts) {
    // A stand-in (the body's crude hand) is drawn only where the real part is missing.
    if (part.unless.some((k) => points[2 * k] !== null)) continue;
    context.strokeStyle = context.fillStyle = part.colour;
    context.lineWidth = Math.max(0.5, part.line * scale);
    context.beginPath();
    for (const [a, b] of part.bones) {
      const p = at(a), q = at(b);
      if (!p || !q) continue;
      context.moveTo(p[0], p[1]);
      context.lineTo(q[0], q[1]);
    }
    context.stroke();
    if (part.dot > 0) {
      const radius = Math.max(0.5, part.dot * scale);
      for (const k of part.joints) {
        const p = at(k);
        if (!p) continue;
        context.beginPath();
        context.arc(p[0], p[1], radius, 0, 2 * Math.PI);
        context.fill();
      }
    }
  }
}

function animate(now) {
  requestAnimationFrame(animate);
  for (const item of animated) {
    const frames = item.drawing.frames.length;
    // The frame's timestamp may precede the moment the drawing arrived: start at frame 0.
    const elapsed = Math.max(0, now - item.start) / 1000;
    const frame = Math.floor(elapsed * item.drawing.fps) % frames;
    if (item.canvas.dataset.frame !== String(frame)) {
      drawFrame(item.canvas, item.drawing, frame);
      item.canvas.dataset.frame = String(frame);
    }
  }
}

function setUpDrop() {
  const drop = $("drop");
  drop.addEventListener("dragover", (event) => {
    event.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    searchPose(event.dataTransfer.files[0]);
  });
  $("pose-file").addEventListener("change", (event) => {
    const file = event.target.files[0];
    event.target.value = ""; // choosing the same file again is a new search
    searchPose(file);
  });
}

$("search-form").addEventListener("submit", searchText);
setUpDrop();
requestAnimationFrame(animate);
loadInfo().catch((error) => setStatus(error.message, true));
