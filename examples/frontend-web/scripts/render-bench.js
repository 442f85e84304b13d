// Renders the price list 200,000 times: the page's hot path.
'use strict';
const format = require('../src/format.js');
let out = '';
for (let i = 0; i < 200000; i++) out = format.formatPrice(i, 'USD') + format.initials('Jane Doe');
if (out.length === 0) process.exit(1);
