// The page of test_browser.py's React test: the README's useSSE example (copied beside this file
// as example.tsx) re-rendered by its parent, every connection and commit counted.
import { Profiler, useState } from "react";
import { createRoot } from "react-dom/client";

import { Progress } from "./example.tsx";

const counts = { sources: 0, commits: 0, parentRenders: 0, rerender: () => undefined };
window.sluiceTest = counts;
const NativeEventSource = window.EventSource;
window.EventSource = class extends NativeEventSource {
  constructor(...args) {
    super(...args);
    counts.sources += 1;
  }
};

const params = new URLSearchParams(location.search);
const token = params.get("token");

function App() {
  const [tick, setTick] = useState(0);
  counts.parentRenders += 1;
  counts.rerender = () => setTick((n) => n + 1);
  return (
    <main data-tick={tick}>
      <Profiler id="progress" onRender={() => (counts.commits += 1)}>
        <Progress sessionId={params.get("session")} currentToken={() => token} />
      </Profiler>
    </main>
  );
}

createRoot(document.getElementById("root")).render(<App />);
