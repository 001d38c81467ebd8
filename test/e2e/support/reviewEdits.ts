// A reviewer's typical edits, used by the end-to-end tests so creation covers every level and a
// dependency link: a sub-task under each story, and the second story blocked by the first.

import { itemDefaults, type Breakdown } from '../../../core/breakdown/schema.ts';

export function addSubtasksAndDependency(input: Breakdown): Breakdown {
  const b = structuredClone(input);
  const stories = b.epics.flatMap((e) => e.stories);
  for (const s of stories) {
    const n = s.subtasks.length + 1;
    s.subtasks.push({
      id: `T${s.id.slice(1)}.${n}`,
      title: `Write tests for ${s.title}`.slice(0, 200),
      ...itemDefaults('human'),
      description: 'Added in review.',
      estimate: 2,
    });
  }
  if (stories.length >= 2 && !stories[1]!.dependsOn.includes(stories[0]!.id)) stories[1]!.dependsOn.push(stories[0]!.id);
  return b;
}
