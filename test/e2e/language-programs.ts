// The same programs in each of the eight standard languages, for the per-language verdict suite.
// `verdicts` reads a command word from stdin and does one thing a judge must recognise:
//   sum A B  print A+B            exit   print "partial", exit code 3
//   throw    an uncaught exception (C: a null pointer store, which has no exceptions)
//   spin     burn CPU forever     alloc  keep allocating and touching 1 MiB blocks, holding them
//   flood    print lines forever
// `compileError` does not compile (compiled languages only); `multiFile` sums two numbers with
// code from the extra `files`.

export const LANGUAGES = ['python3', 'pypy3', 'javascript', 'java', 'go', 'rust', 'c', 'cpp'] as const;
export type Language = (typeof LANGUAGES)[number];

export interface LanguagePrograms {
  verdicts: string;
  compileError?: string;
  multiFile: { source: string; files: { path: string; content: string }[] };
  /** What an uncaught exception leaves: the signal (C, C++) or the exit code, and a stderr pattern. */
  thrown: { exitCode?: number; signal?: number; stderr: RegExp };
}

const lines = (...l: string[]) => `${l.join('\n')}\n`;

const PYTHON: LanguagePrograms = {
  verdicts: lines(
    'import sys',
    'cmd, *rest = sys.stdin.read().split()',
    'if cmd == "sum":',
    '    print(sum(map(int, rest)))',
    'elif cmd == "exit":',
    '    print("partial")',
    '    sys.exit(3)',
    'elif cmd == "throw":',
    '    raise ValueError("boom")',
    'elif cmd == "spin":',
    '    x = 0',
    '    while True:',
    '        x += 1',
    'elif cmd == "alloc":',
    '    held = []',
    '    while True:',
    '        held.append(b"x" * (1 << 20))',
    'elif cmd == "flood":',
    '    while True:',
    '        print("y" * 99)',
  ),
  multiFile: {
    source: lines('from helper import add', 'a, b = map(int, input().split())', 'print(add(a, b))'),
    files: [{ path: 'helper.py', content: lines('def add(a, b):', '    return a + b') }],
  },
  thrown: { exitCode: 1, stderr: /ValueError: boom/ },
};

export const PROGRAMS: Record<Language, LanguagePrograms> = {
  python3: PYTHON,
  pypy3: PYTHON,
  javascript: {
    verdicts: lines(
      "const [cmd, ...rest] = require('fs').readFileSync(0, 'utf8').split(/\\s+/).filter(Boolean);",
      'switch (cmd) {',
      "  case 'sum': console.log(rest.map(Number).reduce((a, b) => a + b, 0)); break;",
      "  case 'exit': console.log('partial'); process.exit(3);",
      "  case 'throw': throw new Error('boom');",
      "  case 'spin': for (let x = 0; ; x++);",
      "  case 'alloc': { const held = []; for (;;) held.push(Buffer.alloc(1 << 20, 1)); }",
      // fs.writeSync: process.stdout.write may queue in memory when the reader is slower (a pool
      // pod starved of CPU), and the run then ends as MemoryLimitExceeded first.
      "  case 'flood': { const line = 'y'.repeat(99) + '\\n'; for (;;) require('fs').writeSync(1, line); }",
      '}',
    ),
    multiFile: {
      source: lines("const { add } = require('./helper.js');", "const [a, b] = require('fs').readFileSync(0, 'utf8').trim().split(/\\s+/).map(Number);", 'console.log(add(a, b));'),
      files: [{ path: 'helper.js', content: lines('exports.add = (a, b) => a + b;') }],
    },
    thrown: { exitCode: 1, stderr: /Error: boom/ },
  },
  java: {
    // Not "Main": the public class may have any name.
    verdicts: lines(
      'import java.io.*;',
      'import java.util.*;',
      '',
      'public class Judge {',
      '  static volatile long sink;',
      '  public static void main(String[] args) throws IOException {',
      '    StringTokenizer st = new StringTokenizer(new BufferedReader(new InputStreamReader(System.in)).readLine());',
      '    switch (st.nextToken()) {',
      '      case "sum": { long s = 0; while (st.hasMoreTokens()) s += Long.parseLong(st.nextToken()); System.out.println(s); break; }',
      '      case "exit": System.out.println("partial"); System.out.flush(); System.exit(3);',
      '      case "throw": throw new IllegalStateException("boom");',
      '      case "spin": for (long x = 0; ; x++) sink = x;',
      '      case "alloc": { List<byte[]> held = new ArrayList<>(); for (;;) { byte[] b = new byte[1 << 20]; Arrays.fill(b, (byte) 1); held.add(b); } }',
      '      case "flood": { PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(System.out))); String line = "y".repeat(99); for (;;) out.println(line); }',
      '    }',
      '  }',
      '}',
    ),
    compileError: lines('public class Broken {', '  public static void main(String[] args) { undefinedThing(); }', '}'),
    multiFile: {
      // Several classes in several files, the entry point in a public class of any name.
      source: lines('import java.util.Scanner;', '', 'public class Adder {', '  public static void main(String[] args) {', '    Scanner in = new Scanner(System.in);', '    Pair p = new Pair(in.nextLong(), in.nextLong());', '    System.out.println(Helper.add(p));', '  }', '}'),
      files: [
        { path: 'Pair.java', content: lines('public class Pair {', '  final long a, b;', '  public Pair(long a, long b) { this.a = a; this.b = b; }', '}') },
        { path: 'Helper.java', content: lines('class Helper {', '  static long add(Pair p) { return p.a + p.b; }', '}') },
      ],
    },
    thrown: { exitCode: 1, stderr: /IllegalStateException: boom/ },
  },
  go: {
    verdicts: lines(
      'package main',
      '',
      'import (',
      '\t"bufio"',
      '\t"fmt"',
      '\t"os"',
      '\t"strings"',
      ')',
      '',
      'var sink int',
      '',
      'func main() {',
      '\tin := bufio.NewReader(os.Stdin)',
      '\tvar cmd string',
      '\tfmt.Fscan(in, &cmd)',
      '\tswitch cmd {',
      '\tcase "sum":',
      '\t\tvar a, b int',
      '\t\tfmt.Fscan(in, &a, &b)',
      '\t\tfmt.Println(a + b)',
      '\tcase "exit":',
      '\t\tfmt.Println("partial")',
      '\t\tos.Exit(3)',
      '\tcase "throw":',
      '\t\tpanic("boom")',
      '\tcase "spin":',
      '\t\tfor x := 0; ; x++ {',
      '\t\t\tsink = x',
      '\t\t}',
      '\tcase "alloc":',
      '\t\tvar held [][]byte',
      '\t\tfor {',
      '\t\t\tb := make([]byte, 1<<20)',
      '\t\t\tfor i := range b {',
      '\t\t\t\tb[i] = 1',
      '\t\t\t}',
      '\t\t\theld = append(held, b)',
      '\t\t}',
      '\tcase "flood":',
      '\t\tout := bufio.NewWriter(os.Stdout)',
      '\t\tline := strings.Repeat("y", 99) + "\\n"',
      '\t\tfor {',
      '\t\t\tout.WriteString(line)',
      '\t\t}',
      '\t}',
      '}',
    ),
    compileError: lines('package main', '', 'func main() { undefinedThing() }'),
    multiFile: {
      // Two files of one package.
      source: lines('package main', '', 'import "fmt"', '', 'func main() {', '\tvar a, b int', '\tfmt.Scan(&a, &b)', '\tfmt.Println(add(a, b))', '}'),
      files: [{ path: 'add.go', content: lines('package main', '', 'func add(a, b int) int { return a + b }') }],
    },
    thrown: { exitCode: 2, stderr: /panic: boom/ },
  },
  rust: {
    verdicts: lines(
      'use std::hint::black_box;',
      'use std::io::{self, Read, Write};',
      '',
      'fn main() {',
      '    let mut s = String::new();',
      '    io::stdin().read_to_string(&mut s).unwrap();',
      '    let mut it = s.split_whitespace();',
      '    match it.next().unwrap_or("") {',
      '        "sum" => println!("{}", it.map(|x| x.parse::<i64>().unwrap()).sum::<i64>()),',
      '        "exit" => {',
      '            println!("partial");',
      '            std::process::exit(3);',
      '        }',
      '        "throw" => panic!("boom"),',
      '        "spin" => {',
      '            let mut x: u64 = 0;',
      '            loop {',
      '                x = black_box(x + 1);',
      '            }',
      '        }',
      '        "alloc" => {',
      '            let mut held: Vec<Vec<u8>> = Vec::new();',
      '            loop {',
      '                held.push(vec![1u8; 1 << 20]);',
      '                black_box(&held);',
      '            }',
      '        }',
      '        "flood" => {',
      '            let mut out = io::stdout().lock();',
      '            let line = "y".repeat(99);',
      '            loop {',
      '                writeln!(out, "{}", line).unwrap();',
      '            }',
      '        }',
      '        _ => {}',
      '    }',
      '}',
    ),
    compileError: lines('fn main() {', '    undefined_thing();', '}'),
    multiFile: {
      source: lines('mod helper;', '', 'fn main() {', '    let mut s = String::new();', '    std::io::stdin().read_line(&mut s).unwrap();', '    let v: Vec<i64> = s.split_whitespace().map(|x| x.parse().unwrap()).collect();', '    println!("{}", helper::add(v[0], v[1]));', '}'),
      files: [{ path: 'helper.rs', content: lines('pub fn add(a: i64, b: i64) -> i64 {', '    a + b', '}') }],
    },
    thrown: { exitCode: 101, stderr: /panicked.*\n?.*boom/ },
  },
  c: {
    verdicts: lines(
      '#include <stdio.h>',
      '#include <stdlib.h>',
      '#include <string.h>',
      '',
      'int main(void) {',
      '  char cmd[16] = "";',
      '  if (scanf("%15s", cmd) != 1) return 0;',
      '  if (!strcmp(cmd, "sum")) { long a, b; if (scanf("%ld %ld", &a, &b) == 2) printf("%ld\\n", a + b); }',
      '  else if (!strcmp(cmd, "exit")) { puts("partial"); fflush(stdout); exit(3); }',
      // Volatile both ways: gcc -O2 can neither see that p is null nor drop the store.
      '  else if (!strcmp(cmd, "throw")) { volatile int *volatile p = 0; *p = 1; }',
      '  else if (!strcmp(cmd, "spin")) { volatile unsigned long x = 0; for (;;) x++; }',
      '  else if (!strcmp(cmd, "alloc")) for (;;) { volatile char *b = malloc(1 << 20); if (!b) return 1; for (int i = 0; i < (1 << 20); i += 4096) b[i] = 1; }',
      '  else if (!strcmp(cmd, "flood")) for (;;) puts("yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy");',
      '  return 0;',
      '}',
    ),
    compileError: lines('int main(void) { return undefined_thing; }'),
    // One translation unit: the compile command builds main.c, which includes the other files.
    multiFile: {
      source: lines('#include <stdio.h>', '#include "helper.h"', '', 'int main(void) {', '  long a, b;', '  if (scanf("%ld %ld", &a, &b) != 2) return 1;', '  printf("%ld\\n", add(a, b));', '  return 0;', '}'),
      files: [{ path: 'helper.h', content: lines('static inline long add(long a, long b) { return a + b; }') }],
    },
    thrown: { signal: 11, stderr: /^$/ },
  },
  cpp: {
    verdicts: lines(
      '#include <cstdlib>',
      '#include <iostream>',
      '#include <stdexcept>',
      '#include <string>',
      '#include <vector>',
      '',
      'int main() {',
      '  std::string cmd;',
      '  std::cin >> cmd;',
      '  if (cmd == "sum") { long long a, b; std::cin >> a >> b; std::cout << a + b << "\\n"; }',
      '  else if (cmd == "exit") { std::cout << "partial" << std::endl; std::exit(3); }',
      '  else if (cmd == "throw") throw std::runtime_error("boom");',
      '  else if (cmd == "spin") { volatile unsigned long x = 0; for (;;) x++; }',
      '  else if (cmd == "alloc") { std::vector<std::vector<char>> held; for (;;) held.emplace_back(1 << 20, 1); }',
      '  else if (cmd == "flood") { std::string line(99, \'y\'); for (;;) std::cout << line << \'\\n\'; }',
      '}',
    ),
    compileError: lines('int main() { return undefined_thing; }'),
    multiFile: {
      source: lines('#include <iostream>', '#include "point.hpp"', '', 'int main() {', '  Point p;', '  std::cin >> p.x >> p.y;', '  std::cout << p.sum() << "\\n";', '}'),
      files: [{ path: 'point.hpp', content: lines('struct Point {', '  long long x, y;', '  long long sum() const { return x + y; }', '};') }],
    },
    thrown: { signal: 6, stderr: /runtime_error[\s\S]*boom/ },
  },
};
