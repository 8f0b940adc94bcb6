// The sign-in form (name and password; errors shown as text).

import { observer } from 'mobx-react-lite';
import { type FormEvent, useState } from 'react';
import type { HubPageStore } from './store.ts';

export const SignIn = observer(({ store }: { store: HubPageStore }) => {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void store.signIn(name, password);
  };
  return (
    <form className="sign-in" onSubmit={submit}>
      <h1>Warden hub</h1>
      <label>
        Name{' '}
        <input name="name" value={name} onChange={(e) => setName(e.target.value)} autoComplete="username" />
      </label>
      <label>
        Password{' '}
        <input
          name="password"
          type="password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          autoComplete="current-password"
        />
      </label>
      <button type="submit">Sign in</button>
      {store.error && (
        <p className="error" role="alert">
          {store.error}
        </p>
      )}
    </form>
  );
});
