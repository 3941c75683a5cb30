/** The OpenAI error shape the proxy answers with for every non-2xx. */
export interface OpenAiErrorBody {
  error: {
    message: string;
    type: string;
    param: string | null;
    code: string;
  };
}

/** The dashboard API's error shape (NestJS style). */
export interface DashboardErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
}
