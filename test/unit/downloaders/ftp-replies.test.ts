import assert from 'node:assert/strict';
import { test } from 'node:test';
import { replyHint, replyText } from '../../../src/adapters/downloaders/ftp-replies.js';

void test('reply text drops the code, keeps the last line and removes control characters', () => {
  assert.equal(replyText('550-Details follow\n550 No such file.', null), 'No such file.');
  assert.equal(replyText('530 Login\u0007 incorrect.\r', null), 'Login incorrect.');
  assert.equal(replyText('421', null), '(no text)');
});

void test('reply text never carries a password or a PASS argument', () => {
  assert.equal(replyText('530 Bad command PASS hunter2-long', null), 'Bad command PASS ***');
  assert.equal(replyText('530 password s3cret-pw rejected', 's3cret-pw'), 'password *** rejected');
  assert.equal(replyText('530 pw abc refused, abcd ok', 'abc'), 'pw *** refused, abcd ok');
});

void test('reply text is capped', () => {
  assert.ok(replyText(`550 ${'x'.repeat(1000)}`, null).length <= 201);
});

void test('hints depend on code and phase', () => {
  const ctx = { anonymous: false, resuming: false };
  assert.equal(replyHint(530, 'login', ctx), 'check the username and password');
  assert.equal(replyHint(550, 'size', ctx), 'the file does not exist or is not readable');
  assert.equal(replyHint(502, 'auth', ctx), 'the server does not support FTPS');
  assert.equal(
    replyHint(502, 'retr', { anonymous: false, resuming: true }),
    'the server cannot resume a transfer (REST)',
  );
  assert.equal(replyHint(421, 'connect', ctx), 'the server closed the connection');
  assert.equal(replyHint(299, 'retr', ctx), undefined);
});
