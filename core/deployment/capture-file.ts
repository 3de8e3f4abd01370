/** One side of a captured exchange, as SageMaker data capture writes it. */
export interface CapturedPayload {
  observedContentType?: string;
  mode?: string;
  data?: string;
  encoding?: string;
}

/** One line of a SageMaker data capture file (JSON Lines), as far as monitoring reads it. */
export interface CaptureRecord {
  captureData?: { endpointInput?: CapturedPayload; endpointOutput?: CapturedPayload };
  eventMetadata?: { eventId?: string };
}

/** The records of a capture file; lines that are not JSON are counted, not thrown. */
export function captureRecords(text: string): { records: CaptureRecord[]; unreadable: number } {
  const records: CaptureRecord[] = [];
  let unreadable = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      records.push(JSON.parse(line) as CaptureRecord);
    } catch {
      unreadable += 1;
    }
  }
  return { records, unreadable };
}

/** A payload's text: capture keeps it as text, or base64 when the content type was not listed as text. */
export const payloadText = (payload: { data: string; encoding?: string }) =>
  payload.encoding === 'BASE64' ? Buffer.from(payload.data, 'base64').toString('utf8') : payload.data;
