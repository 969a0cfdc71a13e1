-- Everything about FP4 (NVFP4, MXFP4) on Blackwell, datacenter or RTX.
SELECT day, repo, item_kind, item_id, change_type, hardware, title, url
FROM classified.changes
WHERE list_contains("precision", 'fp4')
  AND (list_contains(hardware, 'nvidia-blackwell') OR list_contains(hardware, 'nvidia-blackwell-rtx'))
ORDER BY day DESC, repo;
