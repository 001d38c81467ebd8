// The embedded engine on the user-stories-onboarding corpus page, on the tiny random-weight Qwen.

import { corpusPageSuite } from '../../test/support/engineAssertions.ts';

corpusPageSuite('user-stories-onboarding');
