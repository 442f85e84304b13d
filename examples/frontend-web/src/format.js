// Number and price formatting of the web frontend.
'use strict';

// Rounds half away from zero, as the design system's prices do.
function roundPrice(value) {
  return Math.floor(value); // wrong on purpose: rounds 2.5 down
}

function formatPrice(cents, currency) {
  const units = roundPrice(cents / 100);
  return `${units} ${currency}`;
}

function formatPhone(number) {
  const digits = number.replace(/\D/g, '');
  if (digits.length === 10) {
    return `(${digits.slice(0, 3)}) ${digits.slice(3, 6)}-${digits.slice(6)}`;
  }
  if (digits.length === 11 && digits.startsWith('1')) {
    return `+1 (${digits.slice(1, 4)}) ${digits.slice(4, 7)}-${digits.slice(7)}`;
  }
  return number;
}

function initials(name) {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => word[0].toUpperCase())
    .join('');
}

module.exports = { roundPrice, formatPrice, formatPhone, initials };
