// `$(VAR)` expansion of env values, command and args, as upstream's forked Go expansion package
// does it (k/k third_party/forked/golang/expansion/expand.go): `$$` is an escaped `$`, `$(NAME)`
// is replaced by the mapping, a reference that is not resolved stays as written, an unclosed
// `$(` and a `$` before any other character are copied as they are.

/** Resolves one variable name; returns `$(name)` itself when it is unknown. */
export type Mapping = (name: string) => string;

/**
 * A mapping that looks the name up in each context in turn and leaves the reference as written
 * (`$(name)`) when no context has it (upstream's MappingFuncFor).
 */
export function mappingFor(...contexts: ReadonlyMap<string, string>[]): Mapping {
  return (name) => {
    for (const vars of contexts) {
      const v = vars.get(name);
      if (v !== undefined) return v;
    }
    return `$(${name})`;
  };
}

/** Expands the `$(VAR)` references of `input` through `mapping`. */
export function expand(input: string, mapping: Mapping): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const rest = input.slice(cursor + 1);
    let advance = 1;
    if (rest[0] === '$') {
      out += '$';
    } else if (rest[0] === '(') {
      const close = rest.indexOf(')', 1);
      if (close >= 0) {
        out += mapping(rest.slice(1, close));
        advance = close + 1;
      } else {
        out += '$(';
      }
    } else {
      out += '$' + rest[0];
    }
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}
