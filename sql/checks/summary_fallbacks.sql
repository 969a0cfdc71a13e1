-- Sections written by the LLM, and sections that fell back to extractive text (asset check summaries_without_fallback).
SELECT count(*) FILTER (summarizer LIKE 'llm:%') AS llm_sections, count(*) FILTER (fallback_reason IS NOT NULL) AS fallback_sections
FROM (SELECT summarizer, fallback_reason FROM summaries.items UNION ALL
      SELECT summarizer, fallback_reason FROM summaries.digests)
