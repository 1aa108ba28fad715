/**
 * Expression labels. The canonical names follow the CK+ folder names; the paper's order
 * (neutral first) is the default class order of our models.
 */
export const EXPRESSIONS = ['neutral', 'happy', 'surprise', 'fear', 'anger', 'disgust', 'sad', 'contempt'] as const;
export type Expression = (typeof EXPRESSIONS)[number];

/** The paper's 7 classes in its label order (contempt is dropped, as in the paper). */
export const PAPER_CLASSES: readonly Expression[] = ['neutral', 'happy', 'surprise', 'fear', 'anger', 'disgust', 'sad'];

const SYNONYMS: Readonly<Record<string, Expression>> = {
  neutral: 'neutral', normal: 'neutral', calm: 'neutral',
  happy: 'happy', happiness: 'happy', joy: 'happy',
  surprise: 'surprise', surprised: 'surprise',
  fear: 'fear', fearful: 'fear', afraid: 'fear', scared: 'fear',
  anger: 'anger', angry: 'anger',
  disgust: 'disgust', disgusted: 'disgust',
  sad: 'sad', sadness: 'sad',
  contempt: 'contempt',
};

/** Every spelling parseExpression accepts (lower case), e.g. to suggest a fix for a typo. */
export const EXPRESSION_SPELLINGS: readonly string[] = Object.keys(SYNONYMS);

/** Maps a folder or label name (any case, any synonym) to its canonical expression, or undefined. */
export function parseExpression(name: string): Expression | undefined {
  return SYNONYMS[name.trim().toLowerCase()];
}

export function isExpression(name: string): name is Expression {
  return (EXPRESSIONS as readonly string[]).includes(name);
}
