import { parsePrometheusText, sumOf } from './prom-text';

describe('parsePrometheusText', () => {
  it('reads families, labels with escapes, histograms and special values', () => {
    const text = [
      '# HELP a_total Requests',
      '# TYPE a_total counter',
      'a_total{model="x",status="200"} 3',
      'a_total{model="q\\"uo\\\\te",status="500"} 1',
      '# TYPE h histogram',
      'h_bucket{le="0.1"} 1',
      'h_bucket{le="+Inf"} 2',
      'h_sum 0.35',
      'h_count 2',
      '# TYPE g gauge',
      'g NaN',
      'g{x="y"} Nan',
      '',
    ].join('\n');
    const e = parsePrometheusText(text);
    expect(sumOf(e, 'a_total')).toBe(4);
    expect(sumOf(e, 'a_total', { status: '200' })).toBe(3);
    expect(e.samples.find((s) => s.labels['model']?.startsWith('q'))?.labels['model']).toBe('q"uo\\te');
    expect(sumOf(e, 'h_count')).toBe(2);
    expect(e.types.get('h')).toBe('histogram');
  });

  it.each([
    ['a sample of an undeclared family', 'x 1\n'],
    ['a bad value', '# TYPE x gauge\nx one\n'],
    ['bad labels', '# TYPE x gauge\nx{a=b} 1\n'],
    ['an unknown type', '# TYPE x meter\n'],
    ['a missing final newline', '# TYPE x gauge\nx 1'],
  ])('refuses %s', (_, text) => {
    expect(() => parsePrometheusText(text)).toThrow();
  });
});
