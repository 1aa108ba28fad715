import { Add, Relu } from '../../../src/trainer/autodiff/ops/elementwise';
import { gradCheck } from '../../helpers/gradcheck';

describe('autodiff: elementwise ops', () => {
  it('Relu', async () => {
    await gradCheck(Relu, [{ shape: [2, 3, 4, 5] }], undefined);
  });
  it('Add', async () => {
    await gradCheck(Add, [{ shape: [2, 3, 4] }, { shape: [2, 3, 4] }], undefined);
  });
});
