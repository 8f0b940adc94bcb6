// The tray item's label on the legacy hosts (Freelens 2 has no tray menus).

export function trayLabel(connected: boolean, pending: number): string {
  if (!connected) return 'Warden: not connected';
  return `Warden: ${pending} pending`;
}
