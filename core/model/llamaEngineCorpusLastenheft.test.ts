// The embedded engine on the lastenheft-zahlungen corpus page, on the tiny random-weight Qwen.

import { corpusPageSuite } from '../../test/support/engineAssertions.ts';

corpusPageSuite('lastenheft-zahlungen');
