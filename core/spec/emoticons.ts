// Confluence emoticon names (ac:emoticon ac:name) and the characters a reader sees for them.

const EMOTICONS: Record<string, string> = {
  smile: '🙂',
  sad: '🙁',
  cheeky: '😛',
  laugh: '😀',
  wink: '😉',
  'thumbs-up': '👍',
  'thumbs-down': '👎',
  information: 'ℹ️',
  tick: '✅',
  cross: '❌',
  warning: '⚠️',
  plus: '➕',
  minus: '➖',
  question: '❓',
  'light-on': '💡',
  'light-off': '💡',
  'yellow-star': '⭐',
  'red-star': '⭐',
  'green-star': '⭐',
  'blue-star': '⭐',
  heart: '❤️',
  'broken-heart': '💔',
};

/** The emoji for an emoticon element; newer pages carry it in ac:emoji-fallback, older ones only a name. */
export function emoticonText(attrs: Record<string, string>): string {
  const fallback = attrs['ac:emoji-fallback'];
  if (fallback && !fallback.startsWith(':')) return fallback;
  const name = (attrs['ac:name'] ?? '').toLowerCase();
  const known = EMOTICONS[name];
  if (known) return known;
  const shortName = attrs['ac:emoji-shortname'] ?? fallback;
  if (shortName) return shortName;
  return name ? `:${name}:` : '';
}
