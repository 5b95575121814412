#!/usr/bin/python3
"""Reference values for SharpSeg's Mask2Former panoptic and instance inference, written once with PyTorch and committed.

Command (from the repository root; Debian's python3-torch 1.13.1+dfsg, torch.__version__ '1.13.0a0', CPU):
    /usr/bin/python3 tests/fixtures-scripts/make_panoptic_inference_fixture.py \
        > tests/SharpSeg.Tests/Fixtures/maskclassification/panoptic.json

panoptic_inference and instance_inference below are MaskFormer.panoptic_inference and MaskFormer.instance_inference of
facebookresearch/Mask2Former (mask2former/maskformer_model.py), copied as plain functions: self.sem_seg_head.num_classes
is K, self.metadata's thing ids are the THING list, self.object_mask_threshold and self.overlap_threshold are 0.8 (the
official configs), self.test_topk_per_image is TOPK, and panoptic_on is True (so instance inference keeps thing
classes only). One change: topk is taken sorted (the official code passes sorted=False; the set is the same and a
sorted list can be compared). Inputs: random class logits [Q, K+1] and mask logits [Q, H, W], float64, per case: most
queries confident in one class, each mask one region of a random partition plus noise; of every four queries the
second has the class of the first (a second stuff query merges), the third a shifted, weaker copy of the first's mask
(it is dropped for overlap) and the fourth is left unsure. Stored per case: the inputs, the panoptic map, segments_info, how many
kept queries were dropped for overlap and merged into a stuff segment (so the test can tell the fixture exercises
them), and the instance detections (query, class, score).
"""
import json

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
K = 4             # classes; index K is "no object"
Q = 12            # queries
H, W = 9, 11
THING = [0, 1]    # classes 2 and 3 are stuff
OBJECT_MASK_THRESHOLD = 0.8
OVERLAP_THRESHOLD = 0.8
TOPK = 10


def panoptic_inference(mask_cls, mask_pred, stats):
    scores, labels = F.softmax(mask_cls, dim=-1).max(-1)
    mask_pred = mask_pred.sigmoid()

    keep = labels.ne(K) & (scores > OBJECT_MASK_THRESHOLD)
    cur_scores = scores[keep]
    cur_classes = labels[keep]
    cur_masks = mask_pred[keep]

    cur_prob_masks = cur_scores.view(-1, 1, 1) * cur_masks

    h, w = cur_masks.shape[-2:]
    panoptic_seg = torch.zeros((h, w), dtype=torch.int32)
    segments_info = []

    current_segment_id = 0

    if cur_masks.shape[0] == 0:
        return panoptic_seg, segments_info
    else:
        cur_mask_ids = cur_prob_masks.argmax(0)
        stuff_memory_list = {}
        for k in range(cur_classes.shape[0]):
            pred_class = cur_classes[k].item()
            isthing = pred_class in THING
            mask_area = (cur_mask_ids == k).sum().item()
            original_area = (cur_masks[k] >= 0.5).sum().item()
            mask = (cur_mask_ids == k) & (cur_masks[k] >= 0.5)

            if mask_area > 0 and original_area > 0 and mask.sum().item() > 0:
                if mask_area / original_area < OVERLAP_THRESHOLD:
                    stats["overlap_dropped"] += 1
                    continue

                if not isthing:
                    if int(pred_class) in stuff_memory_list.keys():
                        panoptic_seg[mask] = stuff_memory_list[int(pred_class)]
                        stats["stuff_merged"] += 1
                        continue
                    else:
                        stuff_memory_list[int(pred_class)] = current_segment_id + 1

                current_segment_id += 1
                panoptic_seg[mask] = current_segment_id

                segments_info.append({"id": current_segment_id, "isthing": bool(isthing), "category_id": int(pred_class)})

        return panoptic_seg, segments_info


def instance_inference(mask_cls, mask_pred):
    scores = F.softmax(mask_cls, dim=-1)[:, :-1]
    labels = torch.arange(K).unsqueeze(0).repeat(Q, 1).flatten(0, 1)
    scores_per_image, topk_indices = scores.flatten(0, 1).topk(TOPK, sorted=True)
    labels_per_image = labels[topk_indices]

    topk_indices = topk_indices // K
    mask_pred = mask_pred[topk_indices]

    keep = torch.zeros_like(scores_per_image).bool()
    for i, lab in enumerate(labels_per_image):
        keep[i] = lab in THING
    scores_per_image = scores_per_image[keep]
    labels_per_image = labels_per_image[keep]
    mask_pred = mask_pred[keep]
    queries = topk_indices[keep]

    pred_masks = (mask_pred > 0).float()
    mask_scores_per_image = (mask_pred.sigmoid().flatten(1) * pred_masks.flatten(1)).sum(1) / (pred_masks.flatten(1).sum(1) + 1e-6)
    return queries, labels_per_image, scores_per_image, scores_per_image * mask_scores_per_image, pred_masks.flatten(1).sum(1)


def case(seed):
    g = torch.Generator().manual_seed(seed)
    mask_cls = torch.randn(Q, K + 1, generator=g)
    # Three queries in four confident in one class (some of them "no object"), the fourth left unsure.
    for q in range(Q):
        if q % 4 != 3:
            mask_cls[q, int(torch.randint(0, K + 1, (1,), generator=g))] += 6.0
    # Each query's mask is a region of a random partition (the arg-max of smooth noise), with noise on the logits.
    coarse = F.interpolate(torch.randn(1, Q, 3, 4, generator=g), size=(H, W), mode="bilinear", align_corners=False)[0]
    region = coarse.argmax(0)
    mask_pred = torch.where(region.unsqueeze(0) == torch.arange(Q).view(Q, 1, 1), 3.0, -3.0) + 1.5 * torch.randn(Q, H, W, generator=g)
    for q in range(1, Q, 4):
        # Same class as the query before, another region: a second query of a stuff class merges into the first's segment.
        mask_cls[q] = mask_cls[q - 1] + 0.1 * torch.randn(K + 1, generator=g)
    for q in range(2, Q, 4):
        # A shifted, slightly weaker copy of the query two before: it loses much of its own mask and is dropped for overlap.
        mask_pred[q] = torch.roll(mask_pred[q - 2], shifts=(1, 2), dims=(0, 1)) - 0.5
        mask_cls[q] = mask_cls[q - 2] + 0.1 * torch.randn(K + 1, generator=g)
    stats = {"overlap_dropped": 0, "stuff_merged": 0}
    seg, info = panoptic_inference(mask_cls, mask_pred, stats)
    queries, labels, class_scores, scores, areas = instance_inference(mask_cls, mask_pred)
    return {
        "seed": seed,
        "class_logits": mask_cls.flatten().tolist(),
        "mask_logits": mask_pred.flatten().tolist(),
        "panoptic": seg.flatten().tolist(),
        "segments": info,
        "stats": stats,
        "instances": {"queries": queries.tolist(), "classes": labels.tolist(), "class_scores": class_scores.tolist(),
                      "scores": scores.tolist(), "mask_areas": areas.tolist()},
    }


print(json.dumps({
    "num_classes": K, "queries": Q, "height": H, "width": W, "thing_classes": THING,
    "object_mask_threshold": OBJECT_MASK_THRESHOLD, "overlap_threshold": OVERLAP_THRESHOLD, "topk": TOPK,
    "cases": [case(s) for s in range(10)],
}))
