// Where the chat server is: ?server=URL on the app's address, or
// VITE_WSCHAT_SERVER at build time, or, in development, the server
// `go run .` starts (http://localhost:9000); otherwise the app's own
// origin (the app hosted beside the server).
export function chatServer(): string {
  const asked = new URLSearchParams(location.search).get('server');
  if (asked) return asked;
  if (import.meta.env.VITE_WSCHAT_SERVER) return import.meta.env.VITE_WSCHAT_SERVER;
  if (import.meta.env.DEV) return 'http://localhost:9000';
  return location.origin;
}
