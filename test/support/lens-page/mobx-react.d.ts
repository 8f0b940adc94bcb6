// The host pages' mobx-react (7 or 10, installed under extension/node_modules by alias): only
// `observer` is used, typed as mobx-react-lite's.

declare module 'mobx-react' {
  export { observer } from 'mobx-react-lite';
}
