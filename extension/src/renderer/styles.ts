// The extension's styles, added to the page once when it activates (the hosts load no CSS
// from an extension's package). Colours come from the host theme's variables, with fallbacks.

const CSS = `
.warden-status{display:inline-flex;align-items:center;gap:4px;background:none;border:0;color:inherit;font:inherit;cursor:pointer;padding:0 6px;height:100%}
.warden-status.waiting{color:var(--colorWarning,#e8a33d);font-weight:bold}
.warden-status.daemon-absent,.warden-status.token-refused,.warden-status.version-mismatch,.warden-status.error{opacity:.75}
.warden-page{padding:16px 24px;color:var(--textColorPrimary,#ddd);background:var(--mainBackground,#1e2124);min-height:100%;box-sizing:border-box;overflow:auto;font-size:13px}
.warden-head{display:flex;align-items:baseline;gap:16px}
.warden-head h1{font-size:20px;margin:0 0 8px;display:flex;align-items:center;gap:6px}
.warden-section{margin-top:18px}
.warden-section h2{font-size:15px;margin:0 0 6px}
.warden-muted{color:var(--textColorSecondary,#999);font-size:12px}
.warden-badge{background:var(--colorWarning,#e8a33d);color:#000;border-radius:8px;padding:0 6px;font-size:12px}
.warden-cards{list-style:none;margin:0;padding:0;display:grid;gap:10px}
.warden-card{border:1px solid var(--borderColor,#444);border-radius:6px;padding:10px 12px;background:var(--contentColor,#262b2f)}
.warden-card:focus{outline:2px solid var(--primary,#3d90ce)}
.warden-card-head{display:flex;gap:6px;align-items:baseline}
.warden-target{font-family:monospace;word-break:break-all}
.warden-countdown{margin-left:auto;font-variant-numeric:tabular-nums}
.warden-countdown.urgent{color:var(--colorError,#ce3933);font-weight:bold}
.warden-cluster{font-weight:bold;color:var(--colorWarning,#e8a33d);margin:2px 0}
.warden-timer{width:100%;height:4px}
.warden-facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:6px 0}
.warden-facts dt{color:var(--textColorSecondary,#999)}
.warden-facts dd{margin:0}
.warden-mcp-arguments{white-space:pre-wrap;word-break:break-all;max-height:12em;overflow:auto;margin:0;font-size:90%}
.warden-actions{display:flex;gap:6px;flex-wrap:wrap;margin-top:6px}
.warden-waiting-it{margin:6px 0 0;color:var(--colorWarning,#b36b00)}
.warden-page button,.warden-prefs button{border:1px solid var(--borderColor,#555);background:var(--buttonDefaultBackground,#3a3f44);color:inherit;border-radius:4px;padding:4px 10px;cursor:pointer;font:inherit}
.warden-page button:disabled{opacity:.5;cursor:default}
.warden-page button.allow{background:#2e7d32;border-color:#2e7d32;color:#fff}
.warden-page button.deny{background:#b3261e;border-color:#b3261e;color:#fff}
.warden-page button.secondary{background:transparent;color:inherit}
.warden-page kbd{font-size:11px;opacity:.8;border:1px solid currentColor;border-radius:3px;padding:0 3px}
.warden-confirm{border:2px solid var(--primary,#3d90ce);border-radius:6px;padding:10px 14px;margin-bottom:10px;background:var(--contentColor,#262b2f)}
.warden-confirm h3{margin:0 0 6px;font-size:14px}
.warden-diff ul{list-style:none;padding:0;margin:4px 0}
.warden-diff .add{color:#66bb6a}.warden-diff .del{color:#ef5350}.warden-diff .chg{color:#ffca28}
.warden-error{color:var(--colorError,#ef5350);margin:6px 0}
.warden-state{border:1px solid var(--borderColor,#555);border-radius:6px;padding:12px 16px;margin-top:10px;max-width:760px}
.warden-state h2{margin:0 0 6px;font-size:16px}
.warden-command{font-size:14px;padding:2px 6px;background:var(--inputControlBackground,#111);border-radius:3px}
.warden-toolbar{display:flex;gap:12px;align-items:center;margin-bottom:6px;flex-wrap:wrap}
.warden-table{border-collapse:collapse;width:100%}
.warden-table th,.warden-table td{text-align:left;padding:3px 8px;border-bottom:1px solid var(--borderFaintColor,#333);vertical-align:top}
.warden-pill{border-radius:8px;padding:0 6px;font-size:11px;background:#444}
.warden-pill.allowed,.warden-pill.state-running{background:#2e7d32;color:#fff}
.warden-pill.denied,.warden-pill.timed_out,.warden-pill.error,.warden-pill.state-error{background:#b3261e;color:#fff}
.warden-pill.state-done{background:#2e7d32;color:#fff}
.warden-pill.state-failed{background:#b3261e;color:#fff}
.warden-tasks{list-style:none;padding:0;margin:0;display:grid;gap:6px;max-width:760px}
.warden-task{display:flex;gap:10px;align-items:center;flex-wrap:wrap}
.warden-task progress{width:160px}
.warden-prefs{display:grid;gap:8px}
.warden-prefs input[type=text]{width:360px}
`;

export const STYLE_ID = 'warden-extension-styles';

/** Adds the styles to `doc` once; returns a disposer that removes them. */
export function addStyles(doc: Document): () => void {
  if (doc.getElementById(STYLE_ID)) return () => {};
  const style = doc.createElement('style');
  style.id = STYLE_ID;
  style.textContent = CSS;
  doc.head.appendChild(style);
  return () => style.remove();
}
