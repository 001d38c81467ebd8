// A short refunds page with three requirements (FR-1..FR-3, one in a list under its own heading) and
// a prose line: small enough to review by hand in a test, with a requirement a reviewer can leave uncovered.

export const REFUNDS = [
  '<h1>Refunds</h1>',
  '<p>FR-1: The shop must refund a cancelled order within 14 days.</p>',
  '<p>FR-2: The support agent must be able to refund part of an order.</p>',
  '<h2>Limits</h2>',
  '<ul><li>FR-3: A refund must never exceed the amount the customer paid for the order.</li></ul>',
  '<p>Refunds were handled by e-mail until now.</p>',
].join('');

/** FR-3's block text, as the page view and the approval's gap list quote it. */
export const FR3 = 'FR-3: A refund must never exceed the amount the customer paid for the order.';
