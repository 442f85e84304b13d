'use strict';
const test = require('node:test');
const assert = require('node:assert');
const format = require('../src/format.js');

test('roundPrice rounds half away from zero', () => {
  assert.strictEqual(format.roundPrice(2.5), 3);
});

test('formatPrice shows whole units', () => {
  assert.strictEqual(format.formatPrice(1000, 'USD'), '10 USD');
});
