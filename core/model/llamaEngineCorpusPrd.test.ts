// The embedded engine on the prd-checkout corpus page, on the tiny random-weight Qwen.

import { corpusPageSuite } from '../../test/support/engineAssertions.ts';

corpusPageSuite('prd-checkout');
