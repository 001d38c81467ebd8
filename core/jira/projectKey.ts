// What a Jira project key looks like, defined once: the backend setting, the public API's
// per-job project and the reviewer's change of project all validate with this.

import { z } from 'zod';

export const PROJECT_KEY_PATTERN = /^[A-Z][A-Z0-9_]{0,9}$/;
export const PROJECT_KEY_MESSAGE = 'must be a Jira project key such as PAY (capital letters, digits)';

export const ProjectKeySchema = z.string().trim().regex(PROJECT_KEY_PATTERN, PROJECT_KEY_MESSAGE);
