// HTTP Activity's activities in OCSF 1.9 (every method of the IANA HTTP Method Registry), and
// the method as `http_request.http_method`, an enum of the same methods.

/** HTTP Activity's activity by method (OCSF 1.9 covers the IANA HTTP Method Registry). */
export const HTTP_ACTIVITY: Record<string, [number, string]> = {
  CONNECT: [1, 'Connect'],
  DELETE: [2, 'Delete'],
  GET: [3, 'Get'],
  HEAD: [4, 'Head'],
  OPTIONS: [5, 'Options'],
  POST: [6, 'Post'],
  PUT: [7, 'Put'],
  TRACE: [8, 'Trace'],
  PATCH: [9, 'Patch'],
  ACL: [10, 'ACL'],
  'BASELINE-CONTROL': [11, 'Baseline Control'],
  BIND: [12, 'Bind'],
  CHECKIN: [13, 'Check In'],
  CHECKOUT: [14, 'Check Out'],
  COPY: [15, 'Copy'],
  LABEL: [16, 'Label'],
  LINK: [17, 'Link'],
  LOCK: [18, 'Lock'],
  MERGE: [19, 'Merge'],
  MKACTIVITY: [20, 'Make Activity'],
  MKCALENDAR: [21, 'Make Calendar'],
  MKCOL: [22, 'Make Collection'],
  MKREDIRECTREF: [23, 'Make Redirect Reference'],
  MKWORKSPACE: [24, 'Make Workspace'],
  MOVE: [25, 'Move'],
  ORDERPATCH: [26, 'Order Patch'],
  PRI: [27, 'PRI'],
  PROPFIND: [28, 'Property Find'],
  PROPPATCH: [29, 'Property Patch'],
  QUERY: [30, 'Query'],
  REBIND: [31, 'Rebind'],
  REPORT: [32, 'Report'],
  SEARCH: [33, 'Search'],
  UNBIND: [34, 'Unbind'],
  UNCHECKOUT: [35, 'Un-Check Out'],
  UNLINK: [36, 'Unlink'],
  UNLOCK: [37, 'Unlock'],
  UPDATE: [38, 'Update'],
  UPDATEREDIRECTREF: [39, 'Update Redirect Reference'],
  'VERSION-CONTROL': [40, 'Version Control'],
};

/** The method as `http_request.http_method`, whose enum is the registry's: else absent (the record's message and `unmapped.method` keep it). */
export function httpMethodOf(method: string): string | undefined {
  const upper = method.toUpperCase();
  return HTTP_ACTIVITY[upper] ? upper : undefined;
}
