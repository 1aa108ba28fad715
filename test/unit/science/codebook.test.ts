import assert from 'node:assert/strict';
import schema from '../../../schemas/codebook.schema.json';
import { SUPPORTED_AUS } from '../../../src/trainer/science/auGeometry';
import type { Codebook } from '../../../src/trainer/science/codebook';
import {
  CODEBOOK_PRESETS,
  CodebookError,
  DEFAULT_CODEBOOK,
  ausForExpression,
  codebookPreset,
  parseCodebook,
} from '../../../src/trainer/science/codebook';
import { EXPRESSIONS, PAPER_CLASSES, parseExpression } from '../../../src/trainer/science/labels';

/** A valid two-AU codebook with `patch` applied to actionUnits[index]. */
function withEntry(index: number, patch: Record<string, unknown>): unknown {
  const actionUnits: Record<string, unknown>[] = [
    { facs: 6, name: 'Cheek Raiser', expressions: ['happy'] },
    { facs: 12, name: 'Lip Corner Puller', expressions: ['happy'] },
  ];
  actionUnits[index] = { ...actionUnits[index], ...patch };
  return { name: 'mine', actionUnits };
}

function parseError(json: unknown): CodebookError {
  try {
    parseCodebook(json, 'my.json');
  } catch (err) {
    assert.ok(err instanceof CodebookError, String(err));
    return err;
  }
  throw new assert.AssertionError({ message: 'expected a CodebookError' });
}

describe('codebook', () => {
  describe('presets', () => {
    const paper = codebookPreset('paper');
    const official = codebookPreset('official-code');

    it("the paper preset is Fig. 2 and the default", () => {
      assert.equal(DEFAULT_CODEBOOK, 'paper');
      assert.equal(CODEBOOK_PRESETS[0], 'paper');
      assert.equal(codebookPreset(), paper);
      const table: Record<string, number[]> = {
        happy: [6, 12, 25],
        surprise: [1, 2, 5, 26, 27],
        fear: [1, 2, 4, 5, 20, 25, 26, 27],
        anger: [4, 5, 7, 10, 17, 23, 24, 25, 26],
        disgust: [9, 10, 16, 17, 25, 26],
        sad: [1, 4, 6, 15, 17],
        neutral: [],
        contempt: [],
      };
      for (const expression of EXPRESSIONS) assert.deepEqual(ausForExpression(paper, expression), table[expression], expression);
      assert.deepEqual(paper.actionUnits.map((a) => a.facs), [1, 2, 4, 5, 6, 7, 9, 10, 12, 15, 16, 17, 20, 23, 24, 25, 26, 27]);
    });

    it('the official-code preset differs only in disgust (AU5 instead of AU10)', () => {
      for (const expression of EXPRESSIONS) {
        if (expression === 'disgust') continue;
        assert.deepEqual(ausForExpression(official, expression), ausForExpression(paper, expression), expression);
      }
      assert.deepEqual(ausForExpression(official, 'disgust'), [5, 9, 16, 17, 25, 26]);
      assert.deepEqual(official.actionUnits.find((a) => a.facs === 10)?.expressions, ['anger']);
      assert.match(official.description, /AU5/);
    });

    it('every preset expression is one of the paper classes', () => {
      for (const book of [paper, official]) {
        for (const au of book.actionUnits) for (const x of au.expressions) assert.ok(PAPER_CLASSES.includes(x), `${book.name} AU${au.facs} ${x}`);
      }
    });

    it('an unknown preset name lists the available ones', () => {
      assert.throws(() => codebookPreset('papr'), /unknown codebook preset "papr"; available: paper, official-code/);
    });
  });

  describe('parseCodebook', () => {
    it('accepts synonyms in any case and keeps canonical names', () => {
      const book: Codebook = parseCodebook(withEntry(0, { expressions: ['Happiness', ' SAD '] }), 'my.json');
      assert.deepEqual(book.actionUnits[0]!.expressions, ['happy', 'sad']);
      assert.equal(book.description, '');
      assert.deepEqual(ausForExpression(book, 'happy'), [6, 12]);
    });

    it('lists AUs of an expression sorted whatever the file order', () => {
      const book = parseCodebook({ name: 'x', actionUnits: [
        { facs: 25, name: 'Lips Part', expressions: ['happy'] },
        { facs: 6, name: 'Cheek Raiser', expressions: ['happy'] },
      ] }, 'x.json');
      assert.deepEqual(ausForExpression(book, 'happy'), [6, 25]);
    });

    const errors: [what: string, json: unknown, message: RegExp][] = [
      ['a non-object root', [1, 2], /^my\.json: a codebook must be a JSON object, got an array$/],
      ['a null root', null, /^my\.json: a codebook must be a JSON object, got null$/],
      ['a missing actionUnits', { name: 'x' }, /^my\.json: missing "actionUnits"/],
      ['an actionUnits object', { name: 'x', actionUnits: {} }, /^my\.json: actionUnits: must be an array, got an object$/],
      ['an empty actionUnits', { name: 'x', actionUnits: [] }, /actionUnits: must list at least one AU/],
      ['an empty codebook name', { name: ' ', actionUnits: [] }, /^my\.json: name: must be a non-empty string/],
      ['an unknown root property', { name: 'x', actionUnit: [] }, /unknown property "actionUnit" \(allowed: \$schema, name, description, actionUnits\)/],
      ['an entry that is not an object', { name: 'x', actionUnits: [12] }, /^my\.json: actionUnits\[0\]: must be an object/],
      ['a non-integer FACS number', withEntry(1, { facs: 12.5 }), /^my\.json: actionUnits\[1\]: "facs" must be a positive integer FACS number, got number 12\.5$/],
      ['a FACS number as a string', withEntry(0, { facs: '6' }), /actionUnits\[0\]: "facs" must be a positive integer FACS number, got the string "6"/],
      ['an AU without geometry', withEntry(1, { facs: 11 }), /^my\.json: actionUnits\[1\] \(AU11\): no geometry is defined for AU11; supported: AU1, AU2, AU4, AU5, /],
      ['a duplicate AU', withEntry(1, { facs: 6 }), /^my\.json: actionUnits\[1\] \(AU6\): AU6 is already listed at actionUnits\[0\]$/],
      ['an empty AU name', withEntry(1, { name: '' }), /^my\.json: actionUnits\[1\] \(AU12\): "name" must be a non-empty string, got the string ""$/],
      ['a missing expressions list', withEntry(0, { expressions: undefined }), /actionUnits\[0\] \(AU6\): "expressions" must be an array of expression names, got nothing$/],
      ['an unknown entry property', withEntry(0, { expresions: [] }), /actionUnits\[0\] \(AU6\): unknown property "expresions"/],
      ['a misspelt expression', withEntry(0, { expressions: ['sad', 'happines'] }),
        /^my\.json: actionUnits\[0\]\.expressions\[1\] \(AU6\): unknown expression "happines" \(did you mean happy\?\); known: neutral, happy, /],
      ['a synonym misspelt', withEntry(1, { expressions: ['angri'] }), /unknown expression "angri" \(did you mean anger\?\)/],
      ['a word like no expression', withEntry(0, { expressions: ['pizza'] }), /unknown expression "pizza"; known: /],
      ['a non-string expression', withEntry(0, { expressions: [3] }), /actionUnits\[0\]\.expressions\[0\] \(AU6\): must be an expression name, got number 3/],
      ['an expression twice via a synonym', withEntry(0, { expressions: ['happy', 'Joy'] }), /actionUnits\[0\]\.expressions\[1\] \(AU6\): "Joy" repeats happy/],
    ];
    for (const [what, json, message] of errors) {
      it(`rejects ${what}`, () => assert.match(parseError(json).message, message));
    }

    it('tells where the problem is in machine-readable fields too', () => {
      const err = parseError(withEntry(0, { expressions: ['happy', 'happines'] }));
      assert.equal(err.source, 'my.json');
      assert.equal(err.path, 'actionUnits[0].expressions[1] (AU6)');
      assert.equal(err.name, 'CodebookError');
    });
  });

  describe('schemas/codebook.schema.json', () => {
    const item = schema.properties.actionUnits.items.properties;

    it('allows exactly the AUs that have geometry', () => assert.deepEqual(item.facs.enum, SUPPORTED_AUS));

    it('offers the canonical expressions first and only spellings the parser accepts', () => {
      const names = item.expressions.items.enum;
      assert.deepEqual(names.slice(0, EXPRESSIONS.length), [...EXPRESSIONS]);
      for (const n of names) assert.ok(parseExpression(n), n);
    });
  });
});
