import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideNavigation } from './navigation.ts';

const ADMIN = 'http://127.0.0.1:8788';

test('the window stays on the admin listener and sends other web links to the browser', () => {
  assert.equal(decideNavigation('http://127.0.0.1:8788/jobs/42', ADMIN), 'allow');
  assert.equal(decideNavigation('https://example.atlassian.net/browse/PAY-1', ADMIN), 'external');
  assert.equal(decideNavigation('http://127.0.0.1:8787/v1/health', ADMIN), 'external', 'another port is another origin');
  assert.equal(decideNavigation('http://localhost:8788/', ADMIN), 'external', 'another host name is another origin');
});

test('non-web schemes, credentials in links and garbage are refused', () => {
  for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'data:text/html,<b>x</b>', 'smb://server/share', 'not a url', 'https://user:pw@evil.example/']) {
    assert.equal(decideNavigation(url, ADMIN), 'deny', url);
  }
});

test('before the backend is up nothing is allowed in the window', () => {
  assert.equal(decideNavigation('http://127.0.0.1:8788/', undefined), 'external');
});
