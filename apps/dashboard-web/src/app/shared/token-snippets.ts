/** The model the snippets call: `echo` ships in the default models.json. */
export const EXAMPLE_MODEL = 'echo';
export const TOKEN_PLACEHOLDER = 'sk-lmarena-YOUR-TOKEN';

export interface Snippet {
  id: 'curl' | 'python' | 'js';
  label: string;
  code: string;
}

/** curl, Python and JavaScript examples for an OpenAI client pointed at the proxy. */
export function tokenSnippets(baseUrl: string, token: string | null): Snippet[] {
  const key = token || TOKEN_PLACEHOLDER;
  return [
    {
      id: 'curl',
      label: 'curl',
      code: [
        `curl ${baseUrl}/chat/completions \\`,
        `  -H "Authorization: Bearer ${key}" \\`,
        `  -H "Content-Type: application/json" \\`,
        `  -d '{"model": "${EXAMPLE_MODEL}", "messages": [{"role": "user", "content": "Hello!"}]}'`,
      ].join('\n'),
    },
    {
      id: 'python',
      label: 'Python',
      code: [
        '# pip install openai',
        'from openai import OpenAI',
        '',
        `client = OpenAI(base_url="${baseUrl}", api_key="${key}")`,
        'reply = client.chat.completions.create(',
        `    model="${EXAMPLE_MODEL}",  # any id from client.models.list()`,
        '    messages=[{"role": "user", "content": "Hello!"}],',
        ')',
        'print(reply.choices[0].message.content)',
      ].join('\n'),
    },
    {
      id: 'js',
      label: 'JavaScript',
      code: [
        '// npm install openai',
        "import OpenAI from 'openai';",
        '',
        `const client = new OpenAI({ baseURL: '${baseUrl}', apiKey: '${key}' });`,
        'const reply = await client.chat.completions.create({',
        `  model: '${EXAMPLE_MODEL}', // any id from client.models.list()`,
        "  messages: [{ role: 'user', content: 'Hello!' }],",
        '});',
        'console.log(reply.choices[0].message.content);',
      ].join('\n'),
    },
  ];
}
